import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `posix_spawn` for the tests' shell helpers, with every signal unblocked and at its default action
/// in the child. XCTest runs async tests on threads that block signals, and a daemon a test starts
/// (a registry, a proxy) would otherwise inherit that mask, ignore the SIGTERM of its tearDown and
/// keep its port after the test run.
public func spawnWithDefaultSignals(_ pid: inout pid_t, _ path: String, _ argv: UnsafePointer<UnsafeMutablePointer<CChar>?>,
                                    _ envp: UnsafePointer<UnsafeMutablePointer<CChar>?>?,
                                    _ actions: UnsafePointer<posix_spawn_file_actions_t>? = nil) -> Int32 {
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var none = sigset_t(), all = sigset_t()
    sigemptyset(&none)
    sigfillset(&all)
    posix_spawnattr_setsigmask(&attributes, &none)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
    return posix_spawn(&pid, path, actions, &attributes, argv, envp ?? UnsafePointer(environ))
}

/// Runs `path` with `arguments` (`posix_spawn` + `waitpid`, never `Foundation.Process`, see
/// ``bashThroughFile(_:environment:)``): stdin from `stdin`'s bytes (else /dev/null), stdout and
/// stderr through temporary files, in `cwd` when given, with `environment` over this process's.
/// The status is the exit code, or with `signaled` the number of the signal that ended the process
/// (as `Process.terminationStatus`).
public func runCapturing(_ path: String, _ arguments: [String], stdin: Data? = nil, cwd: String? = nil,
                         environment: [String: String] = [:]) throws -> (status: Int32, signaled: Bool, stdout: Data, stderr: Data) {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-run-\(UUID().uuidString)").path
    let (input, out, err) = (base + ".in", base + ".out", base + ".err")
    defer { unlink(input); unlink(out); unlink(err) }
    if let stdin { try stdin.write(to: URL(fileURLWithPath: input)) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, stdin == nil ? "/dev/null" : input, O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    // In `cwd` through coreutils' `env -C` (glibc's addchdir is not in Swift's Glibc module).
    let words = cwd.map { ["/usr/bin/env", "-C", $0, path] } ?? [path]
    var argv = (words + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    let env = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0.key)=\($0.value)" }
    var envp = env.map { strdup($0) } + [nil]
    defer { envp.forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = spawnWithDefaultSignals(&pid, words[0], &argv, &envp, &actions)
    guard spawned == 0 else {
        throw NSError(domain: NSPOSIXErrorDomain, code: Int(spawned), userInfo: [NSLocalizedDescriptionKey: "cannot spawn \(path)"])
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    let signaled = status & 0x7f != 0
    return (signaled ? status & 0x7f : (status >> 8) & 0xff, signaled,
            FileManager.default.contents(atPath: out) ?? Data(), FileManager.default.contents(atPath: err) ?? Data())
}

/// Runs `bash -c script` with `posix_spawn` + `waitpid` (not `Foundation.Process`), output (stdout
/// and stderr) through a temporary file, stdin from /dev/null. Foundation's Process can miss the exit
/// of a child under XCTest (a test then hangs in `waitUntilExit` beside a zombie), and a daemon the
/// script leaves running (a registry, dockerd) would hold a pipe open; neither can happen here.
/// The status is the exit code, -1 when a signal ended bash.
public func bashThroughFile(_ script: String, environment: [String: String] = [:]) -> (status: Int32, output: String) {
    do {
        let result = try runCapturing("/bin/bash", ["-c", "{ \(script)\n} 2>&1"], environment: environment)
        return (result.signaled ? -1 : result.status, String(decoding: result.stdout, as: UTF8.self))
    } catch {
        return (-1, "cannot spawn /bin/bash: \(error)")
    }
}
