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

    /// Runs through `bashThroughFile` (posix_spawn + waitpid, output through a file).
    @discardableResult
    func run(_ command: String) throws -> Result {
        let (status, output) = bashThroughFile(command, environment: environment)
        return Result(status: status, output: output)
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

    /// Starts the reference Docker engine (shared/tools/reference-docker) and takes the environment it
    /// prints (DOCKER_HOST…) into this shell's; XCTSkip when the engine does not start.
    mutating func startReferenceDocker() throws {
        let start = try run("\(Shell.tools)/reference-docker start")
        guard start.status == 0 else { throw XCTSkip("reference Docker engine did not start:\n\(start.output)") }
        for part in start.output.replacingOccurrences(of: "export ", with: "").split(whereSeparator: \.isWhitespace) {
            let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
            if kv.count == 2 { environment[kv[0]] = kv[1] }
        }
    }

    /// The kiln binary under test, quoted for the shell.
    static var kiln: String { "'\(KilnProcess.executable.path)'" }
    /// shared/tools, quoted for the shell.
    static var tools: String { "'\(Vectors.shared.appendingPathComponent("tools").path)'" }
}
