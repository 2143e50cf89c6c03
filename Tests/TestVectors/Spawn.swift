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

/// Runs `bash -c script` with `posix_spawn` + `waitpid` (not `Foundation.Process`), output (stdout
/// and stderr) through a temporary file, stdin from /dev/null. Foundation's Process can miss the exit
/// of a child under XCTest (a test then hangs in `waitUntilExit` beside a zombie), and a daemon the
/// script leaves running (a registry, dockerd) would hold a pipe open; neither can happen here.
public func bashThroughFile(_ script: String, environment: [String: String] = [:]) -> (status: Int32, output: String) {
    let log = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-bash-\(UUID().uuidString).log").path
    defer { try? FileManager.default.removeItem(atPath: log) }
    let argv = ["/bin/bash", "-c", "{ \(script)\n} </dev/null >'\(log)' 2>&1"]
    let env = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0.key)=\($0.value)" }
    var cArgs = argv.map { strdup($0) } + [nil]
    var cEnv = env.map { strdup($0) } + [nil]
    defer { cArgs.forEach { free($0) }; cEnv.forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = spawnWithDefaultSignals(&pid, "/bin/bash", &cArgs, &cEnv)
    guard spawned == 0 else { return (-1, "cannot spawn /bin/bash: \(spawned)") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    return (status & 0x7f == 0 ? (status >> 8) & 0xff : -1, output)
}
