import Foundation
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

    /// Creates a new network namespace (loopback only, down) and binds it to `path`; nothing runs in it. It
    /// lives until `release(path)`. Made on a thread of its own: unshare(CLONE_NEWNET) moves only the calling
    /// thread, which then ends, so the process's other threads never see the new namespace.
    static func create(at path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
        guard fd >= 0 else { throw ContainerNetworkError.system("create \(path)", errno: errno) }
        close(fd)
        let failure = Failure()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            defer { done.signal() }
            guard unshareNetwork() == 0 else { return failure.set("unshare(CLONE_NEWNET)", errno) }
            let source = "/proc/thread-self/ns/net"
            guard mount(source, path, nil, UInt(MS_BIND), nil) == 0 else { return failure.set("bind-mount \(source) on \(path)", errno) }
        }
        thread.start()
        done.wait()
        if let (what, code) = failure.value {
            unlink(path)
            throw ContainerNetworkError.system(what, errno: code)
        }
    }

    /// unshare(CLONE_NEWNET) for the calling thread (not exported by Swift's Glibc module).
    private static func unshareNetwork() -> Int32 {
        typealias Unshare = @convention(c) (Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "unshare") else {
            errno = ENOSYS
            return -1
        }
        return unsafeBitCast(symbol, to: Unshare.self)(0x4000_0000 /* CLONE_NEWNET */)
    }

    /// Unmounts (lazily: pasta may still hold it open) and removes `path`; nothing happens when it is not there.
    static func release(_ path: String) {
        // A path bound twice (never by kiln, but cheap to handle) needs one unmount per layer.
        for _ in 0..<8 where umount2(path, Int32(MNT_DETACH)) == 0 {}
        unlink(path)
    }
}

/// What went wrong on the namespace thread, set at most once before it signals.
private final class Failure: @unchecked Sendable {
    private(set) var value: (String, Int32)?
    func set(_ what: String, _ code: Int32) { value = (what, code) }
}
