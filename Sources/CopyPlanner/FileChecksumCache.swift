import Foundation
import ImageSpec
#if canImport(Glibc)
import Glibc
#endif

/// Content digests of files, remembered across builds so an unchanged context is not read again.
///
/// A file's entry is reused only while its path, size, mtime, ctime, inode and device are all
/// unchanged (any write or rename changes ctime), so a stale digest cannot survive an edit. The
/// cache is one JSON file, loaded once per build and written back atomically by ``save()`` (a
/// write that fails only costs a re-read next time). Safe to use from several threads.
public final class FileChecksumCache: @unchecked Sendable {
    struct Stamp: Codable, Hashable {
        var size: Int64, mtime: Int64, ctime: Int64, inode: UInt64, device: UInt64
    }
    struct Record: Codable {
        var stamp: Stamp
        var digest: String
    }

    private let file: URL
    private let lock = NSLock()
    private var records: [String: Record]
    private var seen: Set<String> = []
    private var changed = false
    /// Entries beyond this are dropped on save (least recently seen first: those not used by this build).
    public var capacity = 500_000

    /// Loads the cache at `file` (missing or unreadable: empty).
    public init(file: URL) {
        self.file = file
        records = (try? JSONDecoder().decode([String: Record].self, from: Data(contentsOf: file))) ?? [:]
    }

    /// The digest of the regular file at `path` (absolute), from the cache when its stamp matches,
    /// else computed by `compute` and remembered.
    func digest(of path: String, compute: (String) throws -> Digest) throws -> Digest {
        guard let stamp = Self.stamp(path) else { return try compute(path) }
        lock.lock()
        seen.insert(path)
        if let record = records[path], record.stamp == stamp, let digest = Digest(record.digest) {
            lock.unlock()
            return digest
        }
        lock.unlock()
        let digest = try compute(path)
        // A file modified while it was read gets a new ctime: only remember a stable reading.
        if Self.stamp(path) == stamp {
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
        guard let data = try? JSONEncoder().encode(records) else { return }
        try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temp = file.deletingLastPathComponent().appendingPathComponent(".\(file.lastPathComponent).\(getpid()).tmp")
        guard (try? data.write(to: temp)) != nil else { return }
        if rename(temp.path, file.path) != 0 { try? FileManager.default.removeItem(at: temp) }
        changed = false
    }

    static func stamp(_ path: String) -> Stamp? {
        var st = stat()
        guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Stamp(size: Int64(st.st_size),
                     mtime: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
                     ctime: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec),
                     inode: UInt64(st.st_ino), device: UInt64(st.st_dev))
    }
}
