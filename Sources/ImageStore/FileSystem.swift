import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Small POSIX helpers with the durability the store promises: data is fsynced before it is renamed
/// into place, and the directory is fsynced after, so a crash leaves either the old or the new file.
enum FileSystem {
    /// Creates a new, empty file with a unique name under `directory`; returns its descriptor and path.
    static func makeTempFile(in directory: URL, prefix: String) throws -> (fd: Int32, url: URL) {
        for _ in 0..<16 {
            let name = "\(prefix)-\(UInt64.random(in: 0...UInt64.max))"
            let url = directory.appendingPathComponent(name)
            let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 { return (fd, url) }
            if errno != EEXIST { throw StoreError.io("create a temporary file in", directory.path, errno: errno) }
        }
        throw StoreError.io("create a temporary file in", directory.path, errno: EEXIST)
    }

    /// Writes every byte of `buffer` to `fd`, retrying short writes and `EINTR`.
    static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < buffer.count {
            let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw StoreError.io("write", path, errno: errno)
            }
            offset += n
        }
    }

    static func fsync(_ fd: Int32, path: String) throws {
        while Glibc.fsync(fd) != 0 {
            guard errno == EINTR else { throw StoreError.io("flush", path, errno: errno) }
        }
    }

    /// Flushes a directory's entries (a rename into it) to disk.
    static func fsyncDirectory(_ url: URL) throws {
        let fd = open(url.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.io("open the folder", url.path, errno: errno) }
        defer { close(fd) }
        try fsync(fd, path: url.path)
    }

    /// Renames `from` onto `to` atomically (replacing `to`), then fsyncs `to`'s folder.
    static func renameDurably(_ from: URL, to: URL) throws {
        guard rename(from.path, to.path) == 0 else {
            throw StoreError.io("move a file into place at", to.path, errno: errno)
        }
        try fsyncDirectory(to.deletingLastPathComponent())
    }

    /// Atomically replaces `url` with `data`: temp file in `tempDirectory`, fsync, rename, fsync folder.
    static func writeAtomically(_ data: Data, to url: URL, tempDirectory: URL) throws {
        let (fd, temp) = try makeTempFile(in: tempDirectory, prefix: "\(url.lastPathComponent)-\(getpid())")
        do {
            defer { close(fd) }
            try data.withUnsafeBytes { try writeAll(fd, $0, path: temp.path) }
            try fsync(fd, path: temp.path)
        } catch {
            unlink(temp.path)
            throw error
        }
        do {
            try renameDurably(temp, to: url)
        } catch {
            unlink(temp.path)
            throw error
        }
    }

    /// Creates `url` and its parents if missing.
    static func makeDirectory(_ url: URL) throws {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw StoreError(.invalidRoot, "cannot create \(url.path): check permissions, or choose another root with --root or KILN_ROOT", cause: "\(error)")
        }
    }

    static func exists(_ url: URL) -> Bool {
        var info = stat()
        return lstat(url.path, &info) == 0
    }

    /// Size of the regular file at `url`, or `nil` if there is none.
    static func fileSize(_ url: URL) -> Int64? {
        var info = stat()
        guard stat(url.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int64(info.st_size)
    }

    /// Names in a folder (empty if it does not exist).
    static func list(_ url: URL) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
    }
}
