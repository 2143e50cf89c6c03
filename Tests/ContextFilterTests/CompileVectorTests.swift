import XCTest
import TestVectors
@testable import ContextFilter

/// `compile.json`: the exact/prefix/suffix/regexp classification and the regexp text (Linux).
final class CompileVectorTests: XCTestCase {
    func testCompileVectors() throws {
        let records = try Vectors.records("dockerignore/compile.json")
        var passed = 0
        for record in records {
            let pattern = record["pattern"] as? String ?? ""
            let expectedType = record["match_type"] as? String ?? "?"
            let (type, source) = Pattern.classify(pattern)
            var ok = type.rawValue == expectedType
            if !ok { XCTFail("compile \(pattern.debugDescription): expected \(expectedType), actual \(type.rawValue)") }
            if let regexp = record["regexp"] as? String {
                if source != regexp {
                    ok = false
                    XCTFail("compile \(pattern.debugDescription): expected regexp \(regexp), actual \(source)")
                }
                if case .failure(let error) = RegexProgram.compile(source) {
                    ok = false
                    XCTFail("compile \(pattern.debugDescription): regexp \(source) does not compile: \(error.reason)")
                }
            }
            if ok { passed += 1 }
        }
        print("dockerignore/compile.json: compile \(passed)/\(records.count)")
    }
}
