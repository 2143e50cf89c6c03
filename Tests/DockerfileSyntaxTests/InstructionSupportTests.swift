import XCTest
@testable import DockerfileSyntax

/// Helpers for the instruction tests: Dockerfile text through the real parser, then conversion.
enum TreeSource {
    static func tree(_ text: String) throws -> SyntaxTree {
        try DockerfileParser.parse(text)
    }
}

extension XCTestCase {
    /// The first instruction of `text`, converted; fails the test (and returns nil) on an error.
    func instruction(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> Instruction? {
        do {
            let tree = try DockerfileParser.parse(text)
            return try Instruction.parse(tree.nodes[0])
        } catch {
            XCTFail("\(text.debugDescription): unexpected error \(error)", file: file, line: line)
            return nil
        }
    }

    /// Asserts converting the first instruction of `text` fails with exactly `message` (and the
    /// parser itself succeeds). Returns the error for further checks.
    @discardableResult
    func assertInstructionError(
        _ text: String, _ message: String, file: StaticString = #filePath, line: UInt = #line
    ) -> DockerfileError? {
        let tree: SyntaxTree
        do { tree = try DockerfileParser.parse(text) } catch {
            XCTFail("\(text.debugDescription): parser failed: \(error)", file: file, line: line)
            return nil
        }
        do {
            let result = try Instruction.parse(tree.nodes[0])
            XCTFail("\(text.debugDescription): expected \(message), got \(result)", file: file, line: line)
            return nil
        } catch {
            XCTAssertEqual(error.message, message, text.debugDescription, file: file, line: line)
            XCTAssertNotNil(error.range, "error without location", file: file, line: line)
            return error
        }
    }
}

final class InstructionSupportTests: XCTestCase {
    func testHelpersReportThroughTheRealParser() {
        XCTAssertNotNil(instruction("RUN true"))
        assertInstructionError("RUNN true", "unknown instruction: RUNN")
    }
}
