import Foundation
import XCTest
import TestVectors
@testable import ShellWords

/// `shell/envVarTest`: every `A` and `U` line through `processWord` (see FORMAT.md); `W` lines are
/// counted and skipped.
final class EnvVarVectorTests: XCTestCase {
    static let environment = ShellEnvironment([
        "PWD": "/home",
        "SHELL": "bash",
        "KOREAN": "\u{D55C}\u{AD6D}\u{C5B4}",
        "NULL": "",
    ])

    func testEnvVarVectors() throws {
        let lexer = ShellLexer()
        var run = 0, passed = 0, skippedWindows = 0
        for (number, rawLine) in try vectorLines("shell/envVarTest") {
            if rawLine.hasPrefix("#") { continue }
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            let fields = line.split(separator: "|", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            guard fields.count == 3 else {
                XCTFail("envVarTest:\(number): expected 3 fields, got \(fields.count): \(line)")
                continue
            }
            let (platform, source, expected) = (fields[0], fields[1], fields[2])
            switch platform {
            case "W":
                skippedWindows += 1
                continue
            case "A", "U":
                break
            default:
                XCTFail("envVarTest:\(number): unknown platform '\(platform)'")
                continue
            }
            run += 1
            let actual: String
            do {
                actual = try lexer.processWord(source, env: Self.environment)
            } catch {
                if expected == "error" { passed += 1 } else {
                    XCTFail("envVarTest:\(number): \(source) expected '\(expected)', got error: \(error)")
                }
                continue
            }
            if actual == expected {
                passed += 1
            } else {
                XCTFail("envVarTest:\(number): \(source) expected \(expected == "error" ? "an error" : "'\(expected)'"), got '\(actual)'")
            }
        }
        print("envVarTest: \(passed)/\(run) A+U lines passed, \(skippedWindows) W lines skipped")
        XCTAssertGreaterThan(run, 0, "no A or U lines found")
    }
}

/// The lines of a vector file with 1-based line numbers, split on `\n`, a trailing `\r` removed.
func vectorLines(_ path: String) throws -> [(Int, String)] {
    var lines = try Vectors.text(path).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if lines.last == "" { lines.removeLast() }
    return lines.enumerated().map { index, line in
        (index + 1, line.hasSuffix("\r") ? String(line.dropLast()) : line)
    }
}
