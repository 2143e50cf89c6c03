#if canImport(Glibc)
import Glibc
#endif

/// A process's network namespace bound to a file (as `ip netns` does under /run/netns).
///
/// pasta cannot join a namespace through /proc/PID/ns/net of a root process: it drops its capabilities before
/// opening it, and the kernel's ptrace check then refuses. A bind-mounted nsfs file is opened with plain file
/// permissions, and pasta exits by itself when the file is removed.
enum NetworkNamespaceFile {
    /// Binds the network namespace of `pid` to `path` (an empty file is created first).
    static func bind(pid: Int32, to path: String) throws {
        let source = "/proc/\(pid)/ns/net"
        guard access(source, F_OK) == 0 else {
            throw ContainerNetworkError.system("network namespace of process \(pid) (\(source))", errno: errno)
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o444)
        guard fd >= 0 else { throw ContainerNetworkError.system("create \(path)", errno: errno) }
        close(fd)
        guard mount(source, path, nil, UInt(MS_BIND), nil) == 0 else {
            let code = errno
            unlink(path)
            throw ContainerNetworkError.system("bind-mount \(source) on \(path)", errno: code)
        }
    }

    /// Unmounts (lazily: pasta may still hold it open) and removes `path`; nothing happens when it is not there.
    static func release(_ path: String) {
        // A path bound twice (never by kiln, but cheap to handle) needs one unmount per layer.
        for _ in 0..<8 where umount2(path, Int32(MNT_DETACH)) == 0 {}
        unlink(path)
    }
}
