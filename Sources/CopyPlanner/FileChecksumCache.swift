import Foundation
import ImageSpec
import LayerArchive
#if canImport(Glibc)
import Glibc
#endif

/// Content digests of files, remembered across builds so an unchanged context is not read again.
///
/// A file's entry is reused only while its path, size, mtime, ctime, inode and device are all
/// unchanged (any write or rename changes ctime), so a stale digest cannot survive an edit. The
/// cache is one text file, a line per file (`size mtime ctime inode device digest path`, read
/// without a JSON decoder: loading it must cost far less than the stats it saves), loaded once per
/// build and written back atomically by ``save()`` (a write that fails only costs a re-read next
/// time). Paths holding a newline are not remembered. Safe to use from several threads.
public final class FileChecksumCache: @unchecked Sendable {
    struct Record {
        var stamp: ContentStamp
        var digest: String
    }

    private let file: URL
    private let lock = NSLock()
    private var records: [String: Record] = [:]
    private var loaded = false
    private var seen: Set<String> = []
    private var changed = false
    /// Entries beyond this are dropped on save (least recently seen first: those not used by this build).
    public var capacity = 500_000

    /// The cache at `file` (missing or unreadable: empty), read on first use: a build whose COPY
    /// steps are all known by their context fingerprint never reads it.
    public init(file: URL) {
        self.file = file
    }

    /// Reads the file once; the lock must be held.
    private func load() {
        guard !loaded else { return }
        loaded = true
        records = (try? Data(contentsOf: file)).map(Self.parse) ?? [:]
    }

    static let header = "kiln-checksums 2\n"

    /// The records of a cache file; an unknown header or a malformed line gives what was read so far.
    static func parse(_ data: Data) -> [String: Record] {
        var records: [String: Record] = [:]
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            let head = Array(header.utf8)
            guard bytes.count >= head.count, Array(bytes[0..<head.count]) == head else { return }
            var i = head.count
            records.reserveCapacity(bytes.count / 120)
            func number() -> Int64? {
                var value: Int64 = 0, negative = false, digits = 0
                if i < bytes.count, bytes[i] == 0x2D { negative = true; i += 1 }
                while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 {
                    value = value &* 10 &+ Int64(bytes[i] - 0x30)
                    i += 1
                    digits += 1
                }
                guard digits > 0, i < bytes.count, bytes[i] == 0x20 else { return nil }
                i += 1
                return negative ? -value : value
            }
            func field(until end: UInt8) -> String? {
                let start = i
                while i < bytes.count, bytes[i] != end { i += 1 }
                guard i < bytes.count else { return nil }
                defer { i += 1 }
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
            }
            while i < bytes.count {
                guard let size = number(), let mtime = number(), let ctime = number(), let inode = number(),
                      let device = number(), let digest = field(until: 0x20), let path = field(until: 0x0A) else { return }
                records[path] = Record(stamp: ContentStamp(device: UInt64(bitPattern: device), inode: UInt64(bitPattern: inode),
                                                           size: size, modified: mtime, changed: ctime), digest: digest)
            }
        }
        return records
    }

    static func serialize(_ records: [String: Record]) -> Data {
        var text = header
        text.reserveCapacity(records.count * 140)
        for (path, record) in records where !path.contains("\n") {
            let s = record.stamp
            text += "\(s.size) \(s.modified) \(s.changed) \(Int64(bitPattern: s.inode)) \(Int64(bitPattern: s.device)) \(record.digest) \(path)\n"
        }
        return Data(text.utf8)
    }

    /// The digest of the regular file at `path` (absolute), from the cache when its stamp matches,
    /// else computed by `compute` and remembered (unless `remember` is false: then the cache file is
    /// not rewritten for it).
    func digest(of path: String, remember: Bool = true, compute: (String) throws -> Digest) throws -> Digest {
        guard let stamp = Self.stamp(path) else { return try compute(path) }
        lock.lock()
        load()
        seen.insert(path)
        if let record = records[path], record.stamp == stamp, let digest = Digest(record.digest) {
            lock.unlock()
            return digest
        }
        lock.unlock()
        let digest = try compute(path)
        // A file modified while it was read gets a new ctime: only remember a stable reading.
        if remember, Self.stamp(path) == stamp {
            lock.withLock {
                records[path] = Record(stamp: stamp, digest: digest.description)
                changed = true
            }
        }
        return digest
    }

    /// Writes the cache back if anything was added (atomically: temp file + rename).
    public func save() {
        lock.lock()
        defer { lock.unlock() }
        guard changed else { return }
        if records.count > capacity { records = records.filter { seen.contains($0.key) } }
        let data = Self.serialize(records)
        try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temp = file.deletingLastPathComponent().appendingPathComponent(".\(file.lastPathComponent).\(getpid()).tmp")
        guard (try? data.write(to: temp)) != nil else { return }
        if rename(temp.path, file.path) != 0 { try? FileManager.default.removeItem(at: temp) }
        changed = false
    }

    /// The stamp of the regular file at `path` (not followed), nil for anything else.
    static func stamp(_ path: String) -> ContentStamp? {
        var st = stat()
        guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return ContentStamp(st)
    }
}
