import Foundation
import ImageSpec
import LayerArchive

/// What the last COPY/ADD of each step identity wrote into its layer blob, so the next build of
/// the same step takes every unchanged entry's bytes from the earlier blob (copied inside the
/// kernel) and reads only changed files, and hashes only from its first changed entry on: the
/// SHA-256 resumes from the state saved there (``LayerCommitter/writeResumable(_:to:key:settledBefore:)``).
///
/// One file per step identity (`kiln/cache/layer-resume/<plan-memo key>`, the key
/// ``SnapshotLinks`` uses): the earlier blob's digest and size; one fingerprint per entry, in
/// order — the SHA-256 of the entry's tar header bytes as written (times clamped) and, for a
/// regular file, the ``ContentStamp`` of the file its content was read from; where each entry
/// starts in the blob (it ends where the next starts, the last at the 1024-byte trailer); SHA-256 states
/// saved at entry boundaries every `checkpointInterval` bytes (entry index, byte count, 8 words).
/// An entry whose bytes cannot be vouched for by its fingerprint — a regular file without a stamp
/// or with a ctime inside the settle window (100 ms before the layer was written: a second write
/// in the same clock tick could hide behind it) — gets an all-zero fingerprint, which never
/// matches, so the next build rewrites from it on.
///
/// Format: `kiln-layer-resume 1 <blob digest> <size> <entries> <checkpoints>\n`, the fingerprints
/// (32 bytes each), the entries' offsets (8 bytes each), the checkpoints (4-byte entry index, 8-byte byte count, 8 × 4-byte words,
/// little-endian), then the SHA-256 of everything before it in hex. A missing, torn or foreign
/// file, or a pruned or resized blob, costs only the resume: the layer is then written whole.
struct LayerResume {
    let directory: URL
    static let magic = "kiln-layer-resume 1 "
    /// Bytes of blob between saved hash states (at most: the next entry boundary after it).
    static let checkpointInterval: Int64 = 1 << 20

    /// A hash state saved just before entry `entry` was written.
    struct Checkpoint: Equatable {
        var entry: Int
        var state: ResumableSHA256.State
    }

    struct Record: Equatable {
        var blob: Digest
        var size: Int64
        /// 32 bytes per entry.
        var fingerprints: [UInt8]
        /// Where each entry starts in the blob.
        var offsets: [Int64]
        var checkpoints: [Checkpoint]

        var entryCount: Int { fingerprints.count / 32 }

        /// Where entry `index`'s bytes end (the next entry's start, or the archive's trailer).
        func end(of index: Int) -> Int64 {
            index + 1 < offsets.count ? offsets[index + 1] : size - 1024
        }

        /// Each fingerprint's entry (the first, for a fingerprint given twice; all-zero ones left out).
        func fingerprintIndex() -> [Fingerprint: Int] {
            var index: [Fingerprint: Int] = [:]
            index.reserveCapacity(entryCount)
            for entry in stride(from: entryCount - 1, through: 0, by: -1) {
                let key = Fingerprint(fingerprints, at: entry * 32)
                if key != Fingerprint.none { index[key] = entry }
            }
            return index
        }
    }

    /// One entry's 32-byte fingerprint as a dictionary key.
    struct Fingerprint: Hashable {
        var a: UInt64, b: UInt64, c: UInt64, d: UInt64
        static let none = Fingerprint(a: 0, b: 0, c: 0, d: 0)

        init(a: UInt64, b: UInt64, c: UInt64, d: UInt64) { (self.a, self.b, self.c, self.d) = (a, b, c, d) }

        init(_ bytes: [UInt8], at offset: Int) {
            (a, b, c, d) = bytes.withUnsafeBytes { raw in
                (raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self), raw.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self),
                 raw.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self), raw.loadUnaligned(fromByteOffset: offset + 24, as: UInt64.self))
            }
        }
    }

    /// The fingerprint of one entry (see the type's comment) appended to `into`.
    /// `header`: the header as written (clamped); `settledBefore`: the ctime a stamp must be older than.
    static func appendFingerprint(of header: TarHeader, stamp: ContentStamp?, settledBefore: Int64,
                                  into fingerprints: inout [UInt8]) throws {
        if header.type == .regular, stamp.map({ $0.changed >= settledBefore }) ?? true {
            fingerprints.append(contentsOf: repeatElement(0, count: 32))
            return
        }
        var bytes = try TarWriter<DiscardingSink>.headerBytes(header)
        if header.type == .regular, let stamp {
            func put(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
            put(stamp.device); put(stamp.inode); put(UInt64(bitPattern: stamp.size))
            put(UInt64(bitPattern: stamp.modified)); put(UInt64(bitPattern: stamp.changed))
        }
        let at = fingerprints.count
        fingerprints.append(contentsOf: repeatElement(0, count: 32))
        bytes.withUnsafeBytes { input in
            fingerprints.withUnsafeMutableBytes { ResumableSHA256.digestBytes(input, into: UnsafeMutableRawBufferPointer(rebasing: $0[at..<(at + 32)])) }
        }
    }

    /// Whether entry `index` of `record` has the fingerprint at `offset` of `fingerprints` (an
    /// all-zero one never matches).
    static func matches(_ record: Record, entry index: Int, _ fingerprints: [UInt8], at offset: Int) -> Bool {
        guard index < record.entryCount else { return false }
        return record.fingerprints.withUnsafeBytes { old in
            fingerprints.withUnsafeBytes { new in
                let a = old.baseAddress! + index * 32, b = new.baseAddress! + offset
                return memcmp(a, b, 32) == 0 && !UnsafeRawBufferPointer(start: b, count: 32).allSatisfy { $0 == 0 }
            }
        }
    }

    /// The record of step `key`, or nil when there is none that can be trusted.
    func load(_ key: String) -> Record? {
        CheckedRecordFile(directory: directory).load(key) { line, body -> Record? in
            guard line.hasPrefix(Self.magic) else { return nil }
            let fields = line.dropFirst(Self.magic.count).split(separator: " ")
            guard fields.count == 4, let blob = Digest(String(fields[0])), let size = Int64(fields[1]), size >= 0,
                  let entries = Int(fields[2]), entries >= 0, let count = Int(fields[3]), count >= 0 else { return nil }
            var at = 0
            guard size >= 1024, body.count == entries * 40 + count * 44 else { return nil }
            let fingerprints = Array(UnsafeRawBufferPointer(rebasing: body[at..<(at + entries * 32)]))
            at += entries * 32
            func read(_ width: Int) -> UInt64 {
                var value: UInt64 = 0
                for i in 0..<width { value |= UInt64(body[at + i]) << (8 * UInt64(i)) }
                at += width
                return value
            }
            var offsets: [Int64] = []
            offsets.reserveCapacity(entries)
            for _ in 0..<entries {
                let offset = Int64(bitPattern: read(8))
                guard offset % 512 == 0, offset >= (offsets.last.map { $0 + 512 } ?? 0), offset <= size - 1024 - 512 else { return nil }
                offsets.append(offset)
            }
            var checkpoints: [Checkpoint] = []
            checkpoints.reserveCapacity(count)
            for _ in 0..<count {
                let entry = Int(read(4)), bytes = Int64(bitPattern: read(8))
                let words = (0..<8).map { _ in UInt32(read(4)) }
                guard entry < entries, bytes == offsets[entry],
                      checkpoints.last.map({ $0.entry < entry && $0.state.byteCount < bytes }) ?? true else { return nil }
                checkpoints.append(Checkpoint(entry: entry, state: ResumableSHA256.State(words: words, byteCount: bytes)))
            }
            return Record(blob: blob, size: size, fingerprints: fingerprints, offsets: offsets, checkpoints: checkpoints)
        }
    }

    /// Remembers `record` for step `key` (atomically; a failure costs only the resume next time).
    func save(_ key: String, _ record: Record) {
        var body: [UInt8] = []
        body.reserveCapacity(record.fingerprints.count + record.offsets.count * 8 + record.checkpoints.count * 44 + 64)
        body.append(contentsOf: record.fingerprints)
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { body.append(contentsOf: $0) } }
        for offset in record.offsets { put(UInt64(offset)) }
        for checkpoint in record.checkpoints {
            put(UInt32(checkpoint.entry)); put(UInt64(checkpoint.state.byteCount))
            for word in checkpoint.state.words { put(word) }
        }
        CheckedRecordFile(directory: directory).save(key, header: Self.magic + "\(record.blob) \(record.size) \(record.entryCount) \(record.checkpoints.count)", body: body)
    }
}
