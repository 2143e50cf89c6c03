#if canImport(Glibc)
import Glibc
#endif

/// Reading a file of a container root filesystem from the host without letting symlinks (or `..`)
/// in the image reach outside that root: every symlink is resolved as if `rootfs` were `/`.
public enum ConfinedFile {
    /// The host path `path` (absolute, inside the container) resolves to, confined to `rootfs`;
    /// nil when a component is missing, or after more than 40 symlinks.
    public static func resolve(_ path: String, in rootfs: String) -> String? {
        var pending = components(path)
        var resolved: [String] = []
        var links = 0
        while !pending.isEmpty {
            let name = pending.removeFirst()
            if name == ".." {
                _ = resolved.popLast()
                continue
            }
            let candidate = rootfs + "/" + (resolved + [name]).joined(separator: "/")
            var info = stat()
            guard lstat(candidate, &info) == 0 else { return nil }
            if info.st_mode & S_IFMT == S_IFLNK {
                links += 1
                guard links <= 40, let target = readSymlink(candidate) else { return nil }
                if target.hasPrefix("/") { resolved = [] }
                pending = components(target) + pending
            } else {
                resolved.append(name)
            }
        }
        return rootfs + "/" + resolved.joined(separator: "/")
    }

    /// The text of the regular file at container path `path`, or nil when it does not exist
    /// (or is not a regular file).
    static func read(_ path: String, in rootfs: String) throws -> String? {
        guard let host = resolve(path, in: rootfs) else { return nil }
        let fd = open(host, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        return try readAll(fd: fd, path: host)
    }

    private static func components(_ path: String) -> [String] {
        path.split(separator: "/").map(String.init).filter { $0 != "." }
    }
}
