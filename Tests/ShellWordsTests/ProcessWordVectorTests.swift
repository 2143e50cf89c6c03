import Foundation
import XCTest
import TestVectors
@testable import ShellWords

/// `shell/process_word.json`: `processWordWithMatches` results, looked-up names and errors.
final class ProcessWordVectorTests: XCTestCase {
    func testProcessWordVectors() throws {
        let lexer = ShellLexer()
        let records = try Vectors.records("shell/process_word.json")
        var passCount = 0
        for record in records {
            let id = record["id"] as? Int ?? -1
            guard let input = record["input"] as? String else {
                XCTFail("process_word #\(id): no input")
                continue
            }
            let env = ShellEnvironment(record["env"] as? [String: String] ?? [:])
            if passed(record, lexer.processWordWithMatches, input: input, env: env, id: id) { passCount += 1 }
        }
        print("process_word.json: \(passCount)/\(records.count) records passed")
        XCTAssertGreaterThan(records.count, 0, "no records found")
    }

    private func passed(
        _ record: [String: Any],
        _ process: (String, ShellEnvironment) throws(ExpansionError) -> Expansion,
        input: String, env: ShellEnvironment, id: Int
    ) -> Bool {
        let label = "process_word #\(id) \(input) env \(env.values)"
        let expansion: Expansion
        do {
            expansion = try process(input, env)
        } catch {
            guard record["error"] as? Bool == true else {
                XCTFail("\(label): expected '\(record["expected"] ?? "")', got error: \(error)")
                return false
            }
            if let needle = record["error_contains"] as? String, !error.description.contains(needle) {
                XCTFail("\(label): error '\(error)' does not contain '\(needle)'")
                return false
            }
            return true
        }
        if record["error"] as? Bool == true {
            XCTFail("\(label): expected an error, got '\(expansion.result)'")
            return false
        }
        var ok = true
        if let expected = record["expected"] as? String, expansion.result != expected {
            XCTFail("\(label): expected '\(expected)', got '\(expansion.result)'")
            ok = false
        }
        for (key, actual) in [("matched", expansion.matched), ("unmatched", expansion.unmatched)] {
            guard let names = record[key] as? [String] else { continue }
            if Set(names) != actual || names.count != actual.count {
                XCTFail("\(label): \(key) expected \(names.sorted()), got \(actual.sorted())")
                ok = false
            }
        }
        return ok
    }
}
