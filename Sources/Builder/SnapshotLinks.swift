import Foundation
import ImageSpec
import LayerArchive

/// What the last COPY/ADD of each step identity left in the store, so the next build of the same
/// step with changed sources makes its snapshot by hard links to the files that did not change
/// and writes only the others (``LinkableContent``).
///
/// One file per step identity (`kiln/cache/snapshot-links/<plan-memo key>`: the stage's cache key,
/// operands and flags, without the sources' content, as ``CopyPlanMemo``): the chain ID of the
/// snapshot the step's layer made, and for each regular file of the layer one record — its path,
/// its tar header as written (mode, owner, size, mtime, xattrs) and the ``ContentStamp`` of the
/// file its content was read from. A file of the new layer whose record is equal to one of the
/// earlier layer's is that same file: the same header, and content from the same unchanged inode.
/// Files whose stamp was unsettled (changed while read, or a ctime less than 100 ms before the
/// layer was written: one clock tick could hide a second write) get no record and are written.
///
/// Format: `kiln-snapshot-links 1 <chain ID>\n`, then each record as a 4-byte little-endian length
/// and its bytes, then the SHA-256 of everything before it in hex (a torn or foreign file is a miss). A
/// missing, stale or unreadable file costs only the links; it is never needed for correctness.
struct SnapshotLinks {
    let directory: URL
    static let magic = "kiln-snapshot-links 1 "

    /// The earlier build's snapshot and its file records.
    struct Previous {
        var chainID: Digest
        var records: Set<Record>
    }

    /// One record's bytes, hashed as one block (an array of bytes hashes element by element,
    /// which cost more than the links it looks up).
    struct Record: Hashable {
        var bytes: [UInt8]

        func hash(into hasher: inout Hasher) {
            bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }

    /// One file's record (see the type's comment): the path, NUL, fixed-width integers, xattrs.
    static func record(_ header: TarHeader, stamp: ContentStamp) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(header.path.utf8.count + 1 + 11 * 8)
        bytes.append(contentsOf: header.path.utf8)
        bytes.append(0)
        func put(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        put(UInt64(header.mode)); put(UInt64(bitPattern: Int64(header.uid))); put(UInt64(bitPattern: Int64(header.gid)))
        put(UInt64(bitPattern: header.size))
        put(UInt64(bitPattern: header.modificationTime.seconds)); put(UInt64(header.modificationTime.nanoseconds))
        put(stamp.device); put(stamp.inode); put(UInt64(bitPattern: stamp.size))
        put(UInt64(bitPattern: stamp.modified)); put(UInt64(bitPattern: stamp.changed))
        for name in header.xattrs.keys.sorted() {
            let value = header.xattrs[name]!
            put(UInt64(name.utf8.count)); bytes.append(contentsOf: name.utf8)
            put(UInt64(value.count)); bytes.append(contentsOf: value)
        }
        return bytes
    }

    private var file: CheckedRecordFile { CheckedRecordFile(directory: directory) }

    /// Whether step `key` has records (trusted or not): a cheap test before the layer is written.
    func exists(_ key: String) -> Bool { file.exists(key) }

    /// The records of step `key`, or nil when there are none that can be trusted.
    func load(_ key: String) -> Previous? {
        file.load(key) { line, body -> Previous? in
            guard line.hasPrefix(Self.magic), let chainID = Digest(String(line.dropFirst(Self.magic.count))) else { return nil }
            var records = Set<Record>()
            records.reserveCapacity(body.count / 100)
            var at = 0
            while at < body.count {
                guard body.count - at >= 4 else { return nil }
                var length = 0
                for i in 0..<4 { length |= Int(body[at + i]) << (8 * i) }
                at += 4
                guard body.count - at >= length else { return nil }
                records.insert(Record(bytes: Array(UnsafeRawBufferPointer(rebasing: body[at..<(at + length)]))))
                at += length
            }
            return Previous(chainID: chainID, records: records)
        }
    }

    /// Remembers `records` for step `key`, whose layer has the snapshot `chainID` (atomically; a
    /// failure costs only links next time).
    func save(_ key: String, chainID: Digest, records: [[UInt8]]) {
        var body: [UInt8] = []
        body.reserveCapacity(records.reduce(0) { $0 + $1.count + 4 })
        for record in records {
            withUnsafeBytes(of: UInt32(record.count).littleEndian) { body.append(contentsOf: $0) }
            body.append(contentsOf: record)
        }
        file.save(key, header: Self.magic + chainID.description, body: body)
    }

    /// The current time in nanoseconds since the epoch (the clock ctimes are read from; ContextScan's
    /// settle window uses it too).
    static func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}
