import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `posix_spawn` for the tests' shell helpers, with every signal unblocked and at its default action
/// in the child. XCTest runs async tests on threads that block signals, and a daemon a test starts
/// (a registry, a proxy) would otherwise inherit that mask, ignore the SIGTERM of its tearDown and
/// keep its port after the test run.
public func spawnWithDefaultSignals(_ pid: inout pid_t, _ path: String, _ argv: UnsafePointer<UnsafeMutablePointer<CChar>?>,
                                    _ envp: UnsafePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var none = sigset_t(), all = sigset_t()
    sigemptyset(&none)
    sigfillset(&all)
    posix_spawnattr_setsigmask(&attributes, &none)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
    return posix_spawn(&pid, path, nil, &attributes, argv, envp ?? UnsafePointer(environ))
}
