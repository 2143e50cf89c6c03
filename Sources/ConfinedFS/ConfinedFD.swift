#if canImport(Glibc)
import Glibc
#endif

/// An open descriptor obtained through a `ConfinedRoot`; closed when released.
///
/// The descriptor names an object that was reached inside the root, so operations on it
/// (`fchown`, `fstat`, `read`…) can never touch anything outside, whatever the tree does later.
public final class ConfinedFD: @unchecked Sendable {
    public let fd: Int32

    public init(fd: Int32) { self.fd = fd }

    deinit { close(fd) }

    /// `/proc/self/fd/N`: a path for this process's own system calls (mount sources, `chmod`
    /// of an `O_PATH` descriptor). The kernel follows it to the object itself.
    public var procPath: String { "/proc/self/fd/\(fd)" }

    /// `/proc/<pid>/fd/N`: the same, for a child process (e.g. the OCI runtime) started while
    /// this descriptor is open.
    public var processPath: String { "/proc/\(getpid())/fd/\(fd)" }

    /// `fstat` of the descriptor.
    public func stat() throws -> Glibc.stat {
        var info = Glibc.stat()
        guard fstat(fd, &info) == 0 else { throw ConfinedFSError("fstat", procPath, errno: errno) }
        return info
    }
}

extension ConfinedFD {
    /// The extended attribute `name` of the object (nil when it has none), read through
    /// `procPath` so that it works on `O_PATH` descriptors too.
    public func xattr(_ name: String) throws -> [UInt8]? {
        while true {
            let size = getxattr(procPath, name, nil, 0)
            if size < 0 {
                if errno == ENODATA || errno == ENOTSUP { return nil }
                throw ConfinedFSError("getxattr \(name)", procPath, errno: errno)
            }
            var value = [UInt8](repeating: 0, count: size)
            let got = getxattr(procPath, name, &value, size)
            if got < 0 {
                if errno == ERANGE { continue }
                throw ConfinedFSError("getxattr \(name)", procPath, errno: errno)
            }
            return Array(value[0..<got])
        }
    }
}

@_silgen_name("getxattr")
private func getxattr(_ path: UnsafePointer<CChar>, _ name: UnsafePointer<CChar>, _ value: UnsafeMutableRawPointer?,
                      _ size: Int) -> Int
