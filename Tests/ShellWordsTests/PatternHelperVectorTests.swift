import Foundation
import XCTest
import TestVectors
@testable import ShellWords

/// `shell/pattern_helpers.json`: the glob-to-regex conversion and the reversal helpers.
final class PatternHelperVectorTests: XCTestCase {
    func testPatternHelperVectors() throws {
        let records = try Vectors.records("shell/pattern_helpers.json")
        var passed = 0
        for (index, record) in records.enumerated() {
            let function = record["fn"] as? String ?? "?"
            let input = record["input"] as? String ?? ""
            let label = "pattern_helpers[\(index)] \(function)(\(input))"
            let actual: String
            switch function {
            case "convertShellPatternToRegex(greedy=true,anchored=true)":
                do {
                    actual = try ShellPattern(parsing: input).regexSource(longest: true, anchored: true)
                } catch {
                    if record["error"] as? Bool == true { passed += 1 } else {
                        XCTFail("\(label): expected \(record["regexp"] ?? ""), got error \(error)")
                    }
                    continue
                }
                if record["error"] as? Bool == true {
                    XCTFail("\(label): expected an error, got \(actual)")
                    continue
                }
                if check(actual, record["regexp"], label) { passed += 1 }
            case "reversePattern":
                if check(ShellPattern.reversePattern(input), record["output"], label) { passed += 1 }
            case "reverseString":
                if check(ShellPattern.reverseString(input), record["output"], label) { passed += 1 }
            default:
                XCTFail("\(label): unknown helper")
            }
        }
        print("pattern_helpers.json: \(passed)/\(records.count) records passed")
        XCTAssertGreaterThan(records.count, 0, "no records found")
    }

    private func check(_ actual: String, _ expected: Any?, _ label: String) -> Bool {
        guard let expected = expected as? String, actual == expected else {
            XCTFail("\(label): expected \(expected ?? "nil"), got \(actual)")
            return false
        }
        return true
    }
}
