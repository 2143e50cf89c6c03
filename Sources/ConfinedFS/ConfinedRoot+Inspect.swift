import CConfinedFS
#if canImport(Glibc)
import Glibc
#endif

// Looking at the tree: never changes it.
extension ConfinedRoot {
    /// `lstat` of `path` (the last component not followed); nil when it does not exist.
    public func lstat(_ path: String) throws -> stat? {
        try openIfPresent(path, followFinal: false)?.stat()
    }

    /// `stat` of `path` (every symlink followed inside the root); nil when it does not exist
    /// or a symlink on the way dangles.
    public func stat(_ path: String) throws -> stat? {
        try openIfPresent(path)?.stat()
    }

    /// The target of the symlink `path` (the last component itself, not followed).
    /// - Throws: `EINVAL` when it is not a symlink, `ENOENT` when missing.
    public func readlink(_ path: String) throws -> String {
        let link = try open(path, followFinal: false)
        guard try link.stat().st_mode & S_IFMT == S_IFLNK else { throw ConfinedFSError("readlink", path, errno: EINVAL) }
        return try Self.readlink(link.fd, "", path: path)
    }

    /// The target of symlink `name` in directory `dir` (`""`: `dir` itself, an `O_PATH`
    /// descriptor of a symlink).
    static func readlink(_ dir: Int32, _ name: String, path: String) throws -> String {
        var size = 256
        while true {
            var buffer = [UInt8](repeating: 0, count: size)
            let n = buffer.withUnsafeMutableBytes { readlinkat(dir, name, $0.baseAddress!.assumingMemoryBound(to: CChar.self), size) }
            guard n >= 0 else { throw ConfinedFSError("readlink", path, errno: errno) }
            if n < size { return String(decoding: buffer[0..<n], as: UTF8.self) }
            size *= 4
            guard size <= 1 << 16 else { throw ConfinedFSError("readlink", path, errno: ENAMETOOLONG) }
        }
    }

    /// The bytes of the regular file `path` (symlinks followed inside the root), or nil when it
    /// does not exist. A file larger than `limit` bytes, or one that is not a regular file
    /// (a FIFO, a device, a directory), is refused with `EFBIG`/`EINVAL` — it is never opened
    /// for reading, so a device node cannot block or have side effects.
    public func readFile(_ path: String, limit: Int = 16 << 20) throws -> [UInt8]? {
        guard let handle = try openIfPresent(path) else { return nil }
        let info = try handle.stat()
        guard info.st_mode & S_IFMT == S_IFREG else { throw ConfinedFSError("read", path, errno: EINVAL) }
        guard info.st_size <= limit else { throw ConfinedFSError("read", path, errno: EFBIG) }
        let file = try reopen(handle, flags: O_RDONLY, path: path)
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(file.fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ConfinedFSError("read", path, errno: errno)
            }
            if count == 0 { return bytes }
            bytes += buffer[0..<count]
            guard bytes.count <= limit else { throw ConfinedFSError("read", path, errno: EFBIG) }
        }
    }

    /// A new descriptor with `flags` for the object `handle` already names (through its
    /// `/proc/self/fd` entry: no path inside the root is looked up again).
    func reopen(_ handle: ConfinedFD, flags: Int32, path: String) throws -> ConfinedFD {
        let fd = Glibc.open(handle.procPath, flags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        guard fd >= 0 else { throw ConfinedFSError("open", path, errno: errno) }
        return ConfinedFD(fd: fd)
    }

    /// Where `handle` is, as an absolute path inside the root ("/" for the root itself), from
    /// the kernel's own record of the descriptor. Such a path has no symlinks, so handing it to
    /// a process that resolves it inside the same root (the OCI runtime's mount destinations and
    /// cwd) names the same object.
    /// - Throws: `EXDEV` when the object is not below the root (it was moved out, or it is on a
    ///   mount that hides the root's path).
    public func pathInRoot(of handle: ConfinedFD) throws -> String {
        let rootPath = try Self.readlink(AT_FDCWD, "/proc/self/fd/\(fd)", path: hostPath)
        let target = try Self.readlink(AT_FDCWD, handle.procPath, path: hostPath)
        if target == rootPath { return "/" }
        let prefix = rootPath == "/" ? "/" : rootPath + "/"
        guard target.hasPrefix(prefix), !target.hasSuffix(" (deleted)") else {
            throw ConfinedFSError("locate", target, errno: EXDEV)
        }
        return "/" + target.dropFirst(prefix.count)
    }

    /// `path` resolved inside the root (every symlink followed) as an absolute path without
    /// symlinks; nil when it does not exist.
    public func resolve(_ path: String) throws -> String? {
        guard let handle = try openIfPresent(path) else { return nil }
        return try pathInRoot(of: handle)
    }
}
