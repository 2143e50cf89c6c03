import Foundation
import TestVectors
import XCTest

/// Runs `bash -c command` with extra environment, output (stdout+stderr) captured through a file so
/// that no pipe can fill up. Test-only.
struct Shell {
    var environment: [String: String] = [:]

    struct Result {
        var status: Int32
        var output: String
    }

    /// Runs with `posix_spawn` + `waitpid`, not `Foundation.Process`: a daemon the command leaves
    /// running (a registry, dockerd) would inherit the descriptor Process watches and hang it.
    @discardableResult
    func run(_ command: String) throws -> Result {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-interop-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let argv = ["/bin/bash", "-c", "{ \(command) ; } </dev/null >'\(log)' 2>&1"]
        let env = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0.key)=\($0.value)" }
        var cArgs = argv.map { strdup($0) } + [nil]
        var cEnv = env.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) }; cEnv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = spawnWithDefaultSignals(&pid, "/bin/bash", &cArgs, &cEnv)
        guard spawned == 0 else { return Result(status: -1, output: "cannot spawn /bin/bash: \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return Result(status: status & 0x7f == 0 ? (status >> 8) & 0xff : -1, output: output)
    }

    /// Runs `command` and fails the test (naming the command and its output) unless it exits 0.
    @discardableResult
    func check(_ command: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let result = try run(command)
        if result.status != 0 {
            XCTFail("`\(command)` exited \(result.status):\n\(result.output)", file: file, line: line)
            throw XCTSkip("stopping after the failed command")
        }
        return result.output
    }

    /// The kiln binary under test, quoted for the shell.
    static var kiln: String { "'\(KilnProcess.executable.path)'" }
    /// shared/tools, quoted for the shell.
    static var tools: String { "'\(Vectors.shared.appendingPathComponent("tools").path)'" }
}
