import XCTest
import TestVectors

/// `kiln debug parse FILE` prints BuildKit's dump and fails with a located diagnostic.
final class DebugParseTests: XCTestCase {
    func testEveryParserVector() throws {
        for name in try Vectors.cases(in: "parser") {
            let result = try KilnProcess.run(["debug", "parse", Vectors.url("parser/\(name)/Dockerfile").path])
            XCTAssertEqual(result.status, 0, "parser/\(name): \(result.stderr)")
            XCTAssertEqual(result.stdout, try Vectors.text("parser/\(name)/result"), "parser/\(name): output differs")
        }
    }

    func testNegativeVectorsFail() throws {
        for name in try Vectors.cases(in: "parser-negative") {
            let path = Vectors.url("parser-negative/\(name)/Dockerfile").path
            let result = try KilnProcess.run(["debug", "parse", path])
            XCTAssertNotEqual(result.status, 0, "parser-negative/\(name) succeeded")
            XCTAssertEqual(result.stdout, "")
            XCTAssertTrue(result.stderr.contains("error: "), result.stderr)
        }
    }

    func testDiagnosticPointsAtTheInstruction() throws {
        let result = try KilnProcess.run(["debug", "parse", "-"], stdin: Data("FROM a\n  ENV PATH\n".utf8))
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.hasPrefix("-:2:3: error: ENV must have two arguments"), result.stderr)
        XCTAssertTrue(result.stderr.contains(" 2 |   ENV PATH"), result.stderr)
    }

    func testStandardInput() throws {
        let result = try KilnProcess.run(["debug", "parse", "-"], stdin: Data("from a\nonbuild run [\"x\"]\n".utf8))
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "(from \"a\")\n(onbuild (run \"x\"))\n")
    }
}

extension DebugParseTests {
    func testWarningsGoToStandardError() throws {
        let result = try KilnProcess.run(["debug", "parse", "-"], stdin: Data("FROM a\nRUN a \\\n\n b\n".utf8))
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "(from \"a\")\n(run \"a  b\")\n")
        XCTAssertTrue(result.stderr.contains("-:2:1: warning: Empty continuation line [NoEmptyContinuation]"), result.stderr)
    }
}
