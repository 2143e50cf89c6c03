import Foundation
import ImageSpec
import ImageStore
import LayerArchive

/// A COPY layer's blob made mostly from the last build of the same step (``LayerResume``): each
/// entry whose fingerprint (header as written, settled content stamp) equals one of the earlier
/// blob's takes that entry's bytes from it — runs of them copied inside the kernel and hashed
/// from the page cache — and only the others are read from their files and written. The blob's
/// unchanged prefix, up to the last hash state saved before its first change, is not even hashed:
/// the SHA-256 resumes from that state. Without a usable record the blob is written whole; either
/// way the bytes and digest are exactly those of a full write.
extension LayerCommitter {
    /// The outcome of ``writeResumable(_:to:key:settledBefore:)``.
    struct ResumedWrite {
        var digest: Digest
        var size: Int64
        /// One per entry, as ``LayerDiff/write(_:to:clampingTimesTo:stamps:beforeEntry:)`` gives them.
        var stamps: [ContentStamp?]
        /// What to save for the next build once the blob is stored.
        var record: LayerResume.Record
        /// The entry hashing started from (0: from the start), the bytes taken from the earlier
        /// blob, and the entries read from their files.
        var resumedAt: Int
        var copiedBytes: Int64
        var writtenEntries: Int
        /// The earlier blob's record the bytes were taken from, and for each entry the earlier
        /// entry with the same fingerprint (-1: none); nil and empty when there was none.
        var earlier: LayerResume.Record?
        var sources: [Int]
    }

    var layerResume: LayerResume {
        LayerResume(directory: store.buildCacheDirectory.appendingPathComponent("layer-resume"))
    }

    /// The header `LayerDiff.write` writes for `entry` (its mtime clamped to `clampTime`).
    private func writtenHeader(_ entry: LayerEntry) -> TarHeader {
        var header = entry.header
        if let clampTime, header.modificationTime > TarTime(seconds: clampTime) { header.modificationTime = TarTime(seconds: clampTime) }
        return header
    }

    /// Writes `entries` as an uncompressed layer into the empty file `fd`, from the blob of the
    /// last build of step `key` where it can. `settledBefore`: ctimes at or after it are unsettled.
    func writeResumable(_ entries: [LayerEntry], to fd: Int32, key: String, settledBefore settled: Int64) throws -> ResumedWrite {
        var earlier: Int32 = -1
        defer { if earlier >= 0 { close(earlier) } }
        var previous = layerResume.load(key)
        if let record = previous {
            // The earlier blob, opened first: a prune after this cannot take its bytes away.
            earlier = (try? store.open(record.blob)).map { open($0.path, O_RDONLY | O_CLOEXEC) } ?? -1
            var info = stat()
            if earlier < 0 || fstat(earlier, &info) != 0 || Int64(info.st_size) != record.size { previous = nil }
        }

        // Each entry's fingerprint and stamp now, and the earlier entry with the same one.
        var fingerprints: [UInt8] = []
        var stamps: [ContentStamp?] = []
        var source: [Int] = []  // the earlier entry, or -1
        if let previous {
            fingerprints.reserveCapacity(entries.count * 32)
            stamps.reserveCapacity(entries.count)
            source.reserveCapacity(entries.count)
            var byFingerprint: [LayerResume.Fingerprint: Int]?
            for (index, entry) in entries.enumerated() {
                var stamp: ContentStamp?
                if entry.header.type == .regular, let path = entry.contentPath {
                    var file = stat()
                    if lstat(path, &file) == 0 { stamp = ContentStamp(file) }
                }
                let at = fingerprints.count
                try LayerResume.appendFingerprint(of: writtenHeader(entry), stamp: stamp, settledBefore: settled, into: &fingerprints)
                stamps.append(stamp)
                // Most entries are where they were, or one past the last match.
                let guess = source.last.map { $0 >= 0 ? $0 + 1 : index } ?? 0
                if LayerResume.matches(previous, entry: guess, fingerprints, at: at) {
                    source.append(guess)
                    continue
                }
                if byFingerprint == nil { byFingerprint = previous.fingerprintIndex() }
                let found = byFingerprint![LayerResume.Fingerprint(fingerprints, at: at)]
                source.append(found.map { LayerResume.matches(previous, entry: $0, fingerprints, at: at) ? $0 : -1 } ?? -1)
            }
        }

        // Hashing starts at the last saved state before the first entry not where it was.
        var start: LayerResume.Checkpoint?
        var checkpoints: [LayerResume.Checkpoint] = []
        if let previous {
            let firstMoved = source.indices.first { source[$0] != $0 } ?? source.count
            start = previous.checkpoints.last { $0.entry <= firstMoved && $0.entry > 0 }
            if let start { checkpoints = previous.checkpoints.filter { $0.entry <= start.entry } }
        }
        let first = start?.entry ?? 0

        let file = try BlobFileSink(fd: fd)
        let sink: ResumableBlobSink
        if let start {
            try file.copyPrefix(from: earlier, length: start.state.byteCount)
            sink = try ResumableBlobSink(file: file, resuming: start.state)
        } else {
            sink = ResumableBlobSink(file: file)
        }
        var offsets = previous.map { Array($0.offsets[0..<first]) } ?? []
        offsets.reserveCapacity(entries.count)
        var lastSaved = sink.hashed
        func atEntry(_ index: Int) {
            offsets.append(sink.hashed)
            guard sink.hashed - lastSaved >= LayerResume.checkpointInterval, let state = sink.hasher.state else { return }
            checkpoints.append(LayerResume.Checkpoint(entry: index, state: state))
            lastSaved = sink.hashed
        }

        var written: [Int] = []  // entries read from their files, whose fingerprints are computed after
        var copied: Int64 = start?.state.byteCount ?? 0
        var index = first
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
        defer { scratch.deallocate() }
        while index < entries.count {
            var end = index
            if let previous, source[index] >= 0 {
                // A run of entries that follow each other in the earlier blob too: one copy.
                while end < entries.count, source[end] >= 0, end == index || source[end] == source[end - 1] + 1 { end += 1 }
                let from = previous.offsets[source[index]], to = previous.end(of: source[end - 1])
                try copyAndHash(earlier, from: from, to: to, boundaries: (index..<end).map { previous.offsets[source[$0]] },
                               entries: index, sink: sink, scratch: scratch, atEntry: atEntry)
                copied += to - from
            } else {
                while end < entries.count, source.isEmpty || source[end] < 0 { end += 1 }
                var writer = TarWriter(sink)
                var runStamps: [ContentStamp?] = []
                try LayerDiff.write(entries[index..<end], to: &writer, clampingTimesTo: clampTime, stamps: &runStamps) { atEntry($0) }
                if previous == nil {
                    stamps.append(contentsOf: runStamps)
                } else {
                    stamps.replaceSubrange(index..<end, with: runStamps)
                }
                written.append(contentsOf: index..<end)
            }
            index = end
        }
        var writer = TarWriter(sink)
        try writer.finish()
        try file.finish()

        // Fingerprints of the entries read now, from the stamps taken while reading them.
        if previous == nil {
            fingerprints.reserveCapacity(entries.count * 32)
            for (entry, stamp) in zip(entries, stamps) {
                try LayerResume.appendFingerprint(of: writtenHeader(entry), stamp: stamp, settledBefore: settled, into: &fingerprints)
            }
        } else {
            for index in written {
                var one: [UInt8] = []
                try LayerResume.appendFingerprint(of: writtenHeader(entries[index]), stamp: stamps[index], settledBefore: settled, into: &one)
                fingerprints.replaceSubrange(index * 32..<(index + 1) * 32, with: one)
            }
        }
        let digest = sink.hasher.digest
        return ResumedWrite(digest: digest, size: file.size, stamps: stamps,
                            record: LayerResume.Record(blob: digest, size: file.size, fingerprints: fingerprints, offsets: offsets,
                                                       checkpoints: checkpoints),
                            resumedAt: first, copiedBytes: copied, writtenEntries: written.count,
                            earlier: previous, sources: source)
    }

    /// Copies bytes `from..<to` of the earlier blob into the new one and hashes them, calling
    /// `atEntry` with each entry's index where its bytes begin (`boundaries`: their offsets there).
    /// A run of at least `concurrentCopyBytes` is copied inside the kernel on this thread while
    /// another reads the same bytes from the earlier blob's pages and hashes them: the run then
    /// costs the longer of the two, not their sum. `atEntry` and the hash are only touched by the
    /// hashing side, the blob file only by the copying side, and both are done when this returns.
    private func copyAndHash(_ earlier: Int32, from: Int64, to: Int64, boundaries: [Int64], entries first: Int,
                            sink: ResumableBlobSink, scratch: UnsafeMutableRawBufferPointer, atEntry: (Int) -> Void) throws {
        guard to - from >= Self.concurrentCopyBytes else {
            try sink.file.copyRange(from: earlier, offset: from, length: to - from)
            try hashRange(earlier, from: from, to: to, boundaries: boundaries, entries: first, sink: sink, scratch: scratch, atEntry: atEntry)
            return
        }
        try withoutActuallyEscaping(atEntry) { atEntry in
            let hashing = BackgroundJob {
                try self.hashRange(earlier, from: from, to: to, boundaries: boundaries, entries: first, sink: sink, scratch: scratch, atEntry: atEntry)
            }
            var copyError: Error?
            do {
                // In parts, so the blob's writeback starts while the rest is copied (BlobFileSink).
                var position = from
                while position < to {
                    let length = min(Self.copyPart, to - position)
                    try sink.file.copyRange(from: earlier, offset: position, length: length)
                    position += length
                }
            } catch {
                copyError = error
            }
            try hashing.wait()
            if let copyError { throw copyError }
        }
    }

    /// Runs of earlier-blob bytes copied and hashed on two threads (``copyAndHash``), and the
    /// parts the copy is made in.
    static let concurrentCopyBytes: Int64 = 4 << 20
    static let copyPart: Int64 = 8 << 20

    /// Hashes bytes `from..<to` of the earlier blob, a scratch buffer's worth at a time, calling
    /// `atEntry` where each entry's bytes begin.
    private func hashRange(_ earlier: Int32, from: Int64, to: Int64, boundaries: [Int64], entries first: Int,
                           sink: ResumableBlobSink, scratch: UnsafeMutableRawBufferPointer, atEntry: (Int) -> Void) throws {
        var position = from, next = 0
        while position < to {
            let want = Int(min(Int64(scratch.count), to - position))
            var got = 0
            while got < want {
                let n = pread(earlier, scratch.baseAddress! + got, want - got, off_t(position + Int64(got)))
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { throw n == 0 ? LayerArchiveError(.io, "the earlier layer blob ended early") : LayerArchiveError(.io, "cannot read the earlier layer blob: \(String(cString: strerror(errno)))") }
                got += n
            }
            var at = 0
            while at < want {
                if next < boundaries.count, boundaries[next] == position + Int64(at) {
                    atEntry(first + next)
                    next += 1
                    continue
                }
                let stop = next < boundaries.count ? min(want, Int(boundaries[next] - position)) : want
                sink.hashOnly(UnsafeRawBufferPointer(rebasing: scratch[at..<stop]))
                at = stop
            }
            position += Int64(want)
        }
    }
}

/// A throwing job run on another thread at once; ``wait()`` returns when it has ended and throws
/// what it threw. The job lets go of its closure before it says it has ended (the closure may be
/// one that must not escape: `withoutActuallyEscaping`). `@unchecked Sendable`: the caller hands
/// it state that only the job touches until ``wait()`` returns (see ``LayerCommitter/copyAndHash``).
private final class BackgroundJob: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var body: (() throws -> Void)?
    private var failure: Error?

    init(_ body: @escaping () throws -> Void) {
        self.body = body
        DispatchQueue.global().async { self.run() }
    }

    private func run() {
        do { try body?() } catch { failure = error }
        body = nil
        done.signal()
    }

    func wait() throws {
        done.wait()
        if let failure { throw failure }
    }
}
