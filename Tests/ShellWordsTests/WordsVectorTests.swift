import Foundation
import XCTest
import TestVectors
@testable import ShellWords

/// `shell/wordsTest`: `processWords` with an environment that accumulates `ENV` lines.
final class WordsVectorTests: XCTestCase {
    func testWordsVectors() throws {
        let lexer = ShellLexer()
        var entries: [String] = []
        var run = 0, passed = 0
        for (number, line) in try vectorLines("shell/wordsTest") {
            if line.hasPrefix("#") { continue }
            if line.hasPrefix("ENV ") {
                entries.append(String(line.dropFirst(3).drop { $0 == " " }))
                continue
            }
            let parts = line.split(separator: "|", omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                XCTFail("wordsTest:\(number): expected exactly one '|': \(line)")
                continue
            }
            run += 1
            let input = parts[0].trimmingCharacters(in: .whitespacesAndNewlines)
            let expected = String(parts[1].drop { $0 == " " })
                .split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let actual: [String]
            do {
                actual = try lexer.processWords(input, env: ShellEnvironment(entries: entries))
            } catch {
                actual = ["error"]
            }
            if actual == expected {
                passed += 1
            } else {
                XCTFail("wordsTest:\(number): \(input) expected \(expected), got \(actual) (env \(entries))")
            }
        }
        print("wordsTest: \(passed)/\(run) lines passed")
        XCTAssertGreaterThan(run, 0, "no test lines found")
    }
}
