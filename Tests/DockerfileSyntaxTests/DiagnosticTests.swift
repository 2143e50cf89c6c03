import XCTest
@testable import DockerfileSyntax

final class DiagnosticTests: XCTestCase {
    func testRendersLocationLineAndMarker() {
        let source = "FROM busybox\nRUNN echo hi\n"
        let error = DockerfileError("unknown instruction: RUNN", range: SourceRange(line: 2, column: 1), suggestion: "did you mean RUN?")
        let text = DiagnosticRenderer.render(file: "Dockerfile", source: source, error: error)
        XCTAssertEqual(text, """
            Dockerfile:2:1: error: unknown instruction: RUNN (did you mean RUN?)
             2 | RUNN echo hi
               | ^~~~
            """)
    }

    func testMarkerSpansAGivenRangeAndKeepsTabs() {
        let source = "\tCOPY --frm=build /a /b"
        let range = SourceRange(start: SourceLocation(line: 1, column: 7), end: SourceLocation(line: 1, column: 17))
        let text = DiagnosticRenderer.render(file: "Dockerfile", source: source, range: range, severity: .warning, message: "unknown flag: --frm")
        XCTAssertEqual(text, "Dockerfile:1:7: warning: unknown flag: --frm\n 1 | \tCOPY --frm=build /a /b\n   | \t     ^~~~~~~~~~~")
    }

    func testNoLocationAndOutOfRangeLine() {
        XCTAssertEqual(DiagnosticRenderer.render(file: "Dockerfile", source: "", range: nil, severity: .error, message: "file with no instructions"),
                       "Dockerfile: error: file with no instructions")
        XCTAssertEqual(DiagnosticRenderer.render(file: "F", source: "x", range: SourceRange(line: 9), severity: .error, message: "m"), "F:9:1: error: m")
    }

    func testSuggestionFindsCloseWordsOnly() {
        XCTAssertEqual(Suggestion.closest(to: "RUNN", in: ["RUN", "FROM", "COPY"]), "RUN")
        XCTAssertEqual(Suggestion.closest(to: "frm", in: ["from", "chown"]), "from")
        XCTAssertEqual(Suggestion.closest(to: "entrypont", in: ["entrypoint", "env"]), "entrypoint")
        XCTAssertNil(Suggestion.closest(to: "zzzz", in: ["RUN", "FROM"]))
        XCTAssertNil(Suggestion.closest(to: "", in: ["RUN"]))
    }
}
