import XCTest
@testable import DockerfileSyntax

/// Parse errors: BuildKit's message text and the best location we have.
final class ParserErrorTests: XCTestCase {
    private func error(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> DockerfileError? {
        do {
            let tree = try DockerfileParser.parse(text)
            XCTFail("parsed, expected an error; dump:\n\(tree.dump())", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    private func error(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> DockerfileError? {
        do {
            _ = try DockerfileParser.parse(bytes)
            XCTFail("parsed, expected an error", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    // The negative cases FORMAT.md lists that are not folders in parser-negative/.

    func testEmptyFile() {
        XCTAssertEqual(error("")?.message, "file with no instructions")
        XCTAssertEqual(error("")?.range?.start.line, 1)
        XCTAssertEqual(error("\n\n  \n")?.message, "file with no instructions")
    }

    func testEnvWithoutValue() {
        let e = error("FROM a\nENV PATH\n")
        XCTAssertEqual(e?.message, "ENV must have two arguments")
        XCTAssertEqual(e?.range?.start, SourceLocation(line: 2, column: 1))
        XCTAssertEqual(error("LABEL x")?.message, "LABEL must have two arguments")
    }

    func testNestedJSONElement() {
        let e = error("FROM a\n  CMD [ \"echo\", [ \"nested json\" ] ]\n")
        XCTAssertEqual(e?.message, "when using JSON array syntax, arrays must be comprised of strings only")
        XCTAssertEqual(e?.range?.start, SourceLocation(line: 2, column: 3))
        XCTAssertNotNil(error("RUN [\"a\", 1]"))
        XCTAssertNotNil(error("COPY [\"a\", null]"))
        XCTAssertNotNil(error("HEALTHCHECK CMD [true]"))
        XCTAssertNotNil(error("ONBUILD RUN [{}]"))
    }

    func testEnvWithoutEquals() {
        XCTAssertEqual(error("ENV a=b c")?.message,
                       "Syntax error - can't find = in \"c\". Must be of the form: name=value")
    }

    func testLineTooLong() {
        let long = "RUN " + String(repeating: "a", count: 65532)   // 65536 bytes
        let e = error("FROM a\n" + long + "\n")
        XCTAssertEqual(e?.message, "dockerfile line greater than max allowed size of 65535")
        XCTAssertEqual(e?.range?.start.line, 2)
        XCTAssertNoThrow(try DockerfileParser.parse("RUN " + String(repeating: "a", count: 65530) + "\r\n"))
    }

    func testDirectiveErrors() {
        XCTAssertEqual(error("# escape=`\n# escape=\\\nFROM a")?.message, "only one escape parser directive can be used")
        XCTAssertEqual(error("# syntax=a\n# Syntax=b\nFROM a")?.message, "only one syntax parser directive can be used")
        let bad = error("# escape=x\nFROM a")
        XCTAssertEqual(bad?.message, "invalid escape token 'x' does not match ` or \\")
        XCTAssertEqual(bad?.range?.start.line, 1)
        // `(.+?)` backtracks into blanks: a value of only spaces is one space, which is invalid.
        XCTAssertNotNil(error("# escape= \nFROM a"))
    }

    func testUnterminatedHeredoc() {
        let e = error("FROM a\nRUN <<EOF\necho hi\n")
        XCTAssertEqual(e?.message, "unterminated heredoc")
        XCTAssertEqual(e?.range?.start.line, 2)
        XCTAssertEqual(error("RUN <<A <<B\nA\nno B\n")?.message, "unterminated heredoc")
    }

    func testUnlexableLineHasNoHeredocs() throws {
        // The whole-line split fails on the unterminated quote, so there is no heredoc at all.
        let tree = try DockerfileParser.parse("FROM a\nRUN <<'EOF\n")
        XCTAssertEqual(tree.nodes[1].heredocs, [])
        XCTAssertThrowsError(try DockerfileParser.parseHeredocWord(Array("<<'EOF".utf8)))
    }
}
