import Foundation
import ImageSpec
import ImageStore
import LayerArchive

/// A COPY layer's blob written from its first changed entry on (``LayerResume``): the entries
/// before it are matched by fingerprint against the last build of the same step, the earlier
/// blob's bytes up to the last saved hash state before that entry are copied inside the kernel,
/// and only the rest is read, hashed and written. Without a usable record the blob is written
/// whole; either way the bytes and digest are exactly those of a full write.
extension LayerCommitter {
    /// The outcome of ``writeResumable(_:to:key:settledBefore:)``.
    struct ResumedWrite {
        var digest: Digest
        var size: Int64
        /// One per entry, as ``LayerDiff/write(_:to:clampingTimesTo:stamps:beforeEntry:)`` gives them.
        var stamps: [ContentStamp?]
        /// What to save for the next build once the blob is stored.
        var record: LayerResume.Record
        /// The entry the write started from (0: written whole) and the bytes copied.
        var resumedAt: Int
        var copiedBytes: Int64
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

    /// Writes `entries` as an uncompressed layer into the empty file `fd`, resuming the blob of the
    /// last build of step `key` where it can. `settledBefore`: ctimes at or after it are unsettled.
    func writeResumable(_ entries: [LayerEntry], to fd: Int32, key: String, settledBefore settled: Int64) throws -> ResumedWrite {
        var fingerprints: [UInt8] = []
        fingerprints.reserveCapacity(entries.count * 32)
        var stamps: [ContentStamp?] = []
        stamps.reserveCapacity(entries.count)
        var checkpoints: [LayerResume.Checkpoint] = []
        var start: LayerResume.Checkpoint?
        var earlierBlob: Int32 = -1
        defer { if earlierBlob >= 0 { close(earlierBlob) } }

        if let previous = layerResume.load(key), previous.checkpoints.contains(where: { $0.entry > 0 }) {
            // The earlier blob, opened first: a prune after this cannot take its bytes away.
            earlierBlob = (try? store.open(previous.blob)).map { open($0.path, O_RDONLY | O_CLOEXEC) } ?? -1
            var info = stat()
            if earlierBlob >= 0, fstat(earlierBlob, &info) == 0, Int64(info.st_size) == previous.size {
                let last = previous.checkpoints.last!.entry
                var index = 0
                while index <= last, index < entries.count {
                    let entry = entries[index]
                    var stamp: ContentStamp?
                    if entry.header.type == .regular, let path = entry.contentPath {
                        var file = stat()
                        if lstat(path, &file) == 0 { stamp = ContentStamp(file) }
                    }
                    let at = fingerprints.count
                    try LayerResume.appendFingerprint(of: writtenHeader(entry), stamp: stamp, settledBefore: settled, into: &fingerprints)
                    guard LayerResume.matches(previous, entry: index, fingerprints, at: at) else {
                        fingerprints.removeLast(32)
                        break
                    }
                    stamps.append(stamp)
                    index += 1
                }
                start = previous.checkpoints.last { $0.entry <= index && $0.entry > 0 }
                if let start {
                    checkpoints = previous.checkpoints.filter { $0.entry <= start.entry }
                    fingerprints.removeLast(fingerprints.count - start.entry * 32)
                    stamps.removeLast(stamps.count - start.entry)
                }
            }
        }

        let file = try BlobFileSink(fd: fd)
        let sink: ResumableBlobSink
        if let start {
            try file.copyPrefix(from: earlierBlob, length: start.state.byteCount)
            sink = try ResumableBlobSink(file: file, resuming: start.state)
        } else {
            sink = ResumableBlobSink(file: file)
        }
        var writer = TarWriter(sink)
        var suffixStamps: [ContentStamp?] = []
        let first = start?.entry ?? 0
        var lastSaved = sink.count
        try LayerDiff.write(entries[first...], to: &writer, clampingTimesTo: clampTime, stamps: &suffixStamps) { index in
            guard sink.count - lastSaved >= LayerResume.checkpointInterval, let state = sink.hasher.state else { return }
            checkpoints.append(LayerResume.Checkpoint(entry: index, state: state))
            lastSaved = sink.count
        }
        try writer.finish()
        try file.finish()
        for (entry, stamp) in zip(entries[first...], suffixStamps) {
            try LayerResume.appendFingerprint(of: writtenHeader(entry), stamp: stamp, settledBefore: settled, into: &fingerprints)
        }
        stamps.append(contentsOf: suffixStamps)
        let digest = sink.hasher.digest
        return ResumedWrite(digest: digest, size: file.size, stamps: stamps,
                            record: LayerResume.Record(blob: digest, size: file.size, fingerprints: fingerprints, checkpoints: checkpoints),
                            resumedAt: first, copiedBytes: start?.state.byteCount ?? 0)
    }
}
