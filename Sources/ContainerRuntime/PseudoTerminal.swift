#if canImport(Glibc)
import Glibc
#endif

/// A new pseudo-terminal pair: the master descriptor (close-on-exec) and the slave's path.
struct PseudoTerminal {
    let master: Int32
    let slavePath: String

    init() throws {
        master = c_posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard master >= 0 else { throw ContainerRuntimeError.system("open a pseudo-terminal") }
        var name = [CChar](repeating: 0, count: 256)
        guard c_grantpt(master) == 0, c_unlockpt(master) == 0, c_ptsname_r(master, &name, name.count) == 0 else {
            let code = errno
            close(master)
            throw ContainerRuntimeError.system("set up a pseudo-terminal", code: code)
        }
        slavePath = String(decoding: name.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

// Glibc declares these only under _XOPEN_SOURCE, which the Swift module map does not set.
@_silgen_name("posix_openpt") private func c_posix_openpt(_ flags: Int32) -> Int32
@_silgen_name("grantpt") private func c_grantpt(_ fd: Int32) -> Int32
@_silgen_name("unlockpt") private func c_unlockpt(_ fd: Int32) -> Int32
@_silgen_name("ptsname_r") private func c_ptsname_r(_ fd: Int32, _ buffer: UnsafeMutablePointer<CChar>, _ size: Int) -> Int32
