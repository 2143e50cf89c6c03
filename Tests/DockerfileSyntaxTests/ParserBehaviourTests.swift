import XCTest
@testable import DockerfileSyntax

/// Node fields, ranges, comments, directives, warnings and byte-level quirks.
final class ParserBehaviourTests: XCTestCase {
    private func parse(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> SyntaxTree? {
        do {
            return try DockerfileParser.parse(text)
        } catch {
            XCTFail("unexpected error \(error) at \(String(describing: error.range))", file: file, line: line)
            return nil
        }
    }

    func testNodeFields() throws {
        let tree = try XCTUnwrap(parse("""
            # syntax=docker/dockerfile:1

            # The base
            # image.
              From alpine AS base
            Run --mount=type=cache,target=/x \\
              echo hi
            CMD ["a", "b"]
            ONBUILD COPY --from=b x y

            """))
        XCTAssertEqual(tree.nodes.count, 4)
        let from = tree.nodes[0]
        XCTAssertEqual(from.keyword, "from")
        XCTAssertEqual(from.keywordAsWritten, "From")
        XCTAssertEqual(from.args, ["alpine", "AS", "base"])
        XCTAssertEqual(from.comments, ["The base", "image."])
        XCTAssertEqual(from.original, "From alpine AS base")
        XCTAssertEqual(from.range, SourceRange(start: SourceLocation(line: 5, column: 3), end: SourceLocation(line: 5, column: 21)))

        let run = tree.nodes[1]
        XCTAssertEqual(run.flags, ["--mount=type=cache,target=/x"])
        XCTAssertEqual(run.args, ["echo hi"])
        XCTAssertEqual(run.original, "Run --mount=type=cache,target=/x   echo hi")
        XCTAssertEqual(run.range.start.line, 6)
        XCTAssertEqual(run.range.end.line, 7)
        XCTAssertFalse(run.isJSON)
        XCTAssertEqual(run.comments, [])

        XCTAssertTrue(tree.nodes[2].isJSON)
        XCTAssertEqual(tree.nodes[2].args, ["a", "b"])

        let onbuild = tree.nodes[3]
        XCTAssertEqual(onbuild.args, [])
        XCTAssertEqual(onbuild.nested.count, 1)
        XCTAssertEqual(onbuild.nested.first?.keyword, "copy")
        XCTAssertEqual(onbuild.nested.first?.flags, ["--from=b"])
        XCTAssertEqual(onbuild.nested.first?.args, ["x", "y"])
        XCTAssertEqual(onbuild.nested.first?.original, "COPY --from=b x y")
        XCTAssertEqual(onbuild.nested.first?.range.start, SourceLocation(line: 9, column: 9))
        XCTAssertEqual(tree.dump(), """
            (from "alpine" "AS" "base")
            (run ["--mount=type=cache,target=/x"] "echo hi")
            (cmd "a" "b")
            (onbuild (copy ["--from=b"] "x" "y"))
            """)

        XCTAssertEqual(tree.directives.syntax, "docker/dockerfile:1")
        XCTAssertEqual(tree.directives.locations["syntax"]?.start, SourceLocation(line: 1, column: 1))
        XCTAssertEqual(tree.range?.start.line, 5)
        XCTAssertEqual(tree.range?.end.line, 9)
    }

    func testDirectives() throws {
        let tree = try XCTUnwrap(parse("#Escape = `\n  # check = skip=all ; error=true  \nFROM a\nRUN a `\n b\n"))
        XCTAssertEqual(tree.directives.escape, "`")
        XCTAssertEqual(tree.directives.check, "skip=all ; error=true")
        XCTAssertEqual(tree.directives.locations["check"]?.start, SourceLocation(line: 2, column: 3))
        XCTAssertEqual(tree.nodes[1].args, ["a  b"])
        // An ordinary comment closes the section; a later directive is a plain comment.
        let late = try XCTUnwrap(parse("# hello\n# escape=`\nRUN a \\\n b\n"))
        XCTAssertEqual(late.directives.escape, "\\")
        XCTAssertNil(late.directives.locations["escape"])
        XCTAssertEqual(late.nodes[0].args, ["a  b"])
        // Unknown keys close the section too.
        let unknown = try XCTUnwrap(parse("# key = FOO bar\n# escape=`\nRUN a\n"))
        XCTAssertEqual(unknown.directives.escape, "\\")
    }

    func testEmptyContinuationWarning() throws {
        let tree = try XCTUnwrap(parse("FROM a\nRUN a \\\n\n  # comment\n   \n  b\nRUN c\n"))
        XCTAssertEqual(tree.nodes[1].args, ["a   b"])
        XCTAssertEqual(tree.nodes[1].range.start.line, 2)
        XCTAssertEqual(tree.nodes[1].range.end.line, 6)
        XCTAssertEqual(tree.warnings.count, 1)
        XCTAssertEqual(tree.warnings.first?.rule, "NoEmptyContinuation")
        XCTAssertEqual(tree.warnings.first?.range.start.line, 2)
        XCTAssertEqual(tree.warnings.first?.range.end.line, 6)
        XCTAssertEqual(try XCTUnwrap(parse("RUN a \\\n# c\n b\n")).warnings, [])
    }

    func testContinuationRules() throws {
        XCTAssertEqual(parse("RUN echo hello  \\  \nworld")?.nodes[0].args, ["echo hello  world"])
        XCTAssertEqual(parse("RUN hello\\\n\\\nworld")?.nodes[0].args, ["helloworld"])
        XCTAssertEqual(parse("ENV C trailing\\\\backslash\\\\\nRUN x")?.nodes.count, 2)
        XCTAssertEqual(parse("RUN a \\")?.nodes[0].args, ["a"])
        // A comment line inside a continuation does not end it.
        XCTAssertEqual(parse("RUN a \\\n# x\nb")?.nodes[0].args, ["a b"])
        // CRLF endings.
        XCTAssertEqual(parse("FROM a\r\nRUN b \\\r\n c\r\n")?.dump(), "(from \"a\")\n(run \"b  c\")")
    }

    func testHeredocRangesAndOnbuild() throws {
        let tree = try XCTUnwrap(parse("FROM a\nRUN <<EOF\nbody\nEOF\nONBUILD RUN <<-X cat\n\tline\n\tX\nCOPY [\"<<EOF\", \"/\"]\n"))
        XCTAssertEqual(tree.nodes[1].range.end.line, 4)
        XCTAssertEqual(tree.nodes[1].heredocs, [Heredoc(name: "EOF", content: "body\n", expand: true, chomp: false)])
        XCTAssertEqual(tree.nodes[2].heredocs, [Heredoc(name: "X", content: "\tline\n", expand: true, chomp: true)])
        XCTAssertEqual(tree.nodes[2].range.end.line, 7)
        XCTAssertEqual(tree.nodes[3].heredocs, [])
        XCTAssertEqual(tree.dump(), "(from \"a\")\n(run \"<<EOF\")\n(onbuild (run \"<<-X cat\"))\n(copy \"<<EOF\" \"/\")")
        // The escape directive does not affect heredoc detection.
        let backtick = try XCTUnwrap(parse("# escape=`\nRUN <<EOF\nx\nEOF\n"))
        XCTAssertEqual(backtick.nodes[0].heredocs.first?.name, "EOF")
        // Other instructions treat `<<` as text.
        XCTAssertEqual(parse("USER <<INVALID\nINVALID\n")?.dump(), "(user \"<<INVALID\")\n(invalid \"\")")
    }

    func testFlagQuirks() throws {
        XCTAssertEqual(parse("COPY --foo=\"a b\" x y")?.nodes[0].flags, ["--foo=a b"])
        XCTAssertEqual(parse("COPY --chown=josé x y")?.nodes[0].flags, ["--chown=josÃ©"])
        XCTAssertEqual(parse("COPY --a=\\\"q x y")?.nodes[0].flags, ["--a=\"q"])
        XCTAssertEqual(parse("COPY --a='unterminated")?.nodes[0].flags, ["--a=unterminated"])
        XCTAssertEqual(parse("COPY --a -- --b x")?.nodes[0].flags, ["--a"])
        XCTAssertEqual(parse("COPY --a -- --b x")?.nodes[0].args, ["--b", "x"])
        XCTAssertEqual(parse("FOO --x bar")?.dump(), "(foo [\"--x\"] \"\")")
    }

    func testKeywordTable() throws {
        let tree = try XCTUnwrap(parse("""
            ARG abc="123 456" def
            ENV name="a\\"b" x=1
            LABEL a b c
            HEALTHCHECK NONE
            SHELL ["/bin/sh", "-c"]
            VOLUME /a /b
            EXPOSE 80\t443
            STOPSIGNAL SIGKILL
            WORKDIR /a b
            ONBUILD
            COPY
            """))
        XCTAssertEqual(tree.dump(), """
            (arg "abc=\\"123 456\\"" "def")
            (env "name" "\\"a\\\\\\"b\\"" "=" "x" "1" "=")
            (label "a" "b c" "")
            (healthcheck "NONE")
            (shell "/bin/sh" "-c")
            (volume "/a" "/b")
            (expose "80" "443")
            (stopsignal "SIGKILL")
            (workdir "/a b")
            (onbuild)
            (copy)
            """)
    }

    func testInvalidUTF8IsEscapedInDump() throws {
        let bytes = Array("RUN a".utf8) + [0xFF, 0xC3] + Array(" b\nFROM x\u{1}\u{85}y\u{85}\n".utf8)
        let tree = try DockerfileParser.parse(bytes)
        XCTAssertEqual(tree.dump(), "(run \"a\\xff\\xc3 b\")\n(from \"x\\x01\\u0085y\")")
        XCTAssertEqual(GoQuote.quote("\u{7}\u{7F}\u{A0}♥\u{E0100}\u{10FFFF}"), "\"\\a\\x7f\\u00a0♥\u{E0100}\\U0010ffff\"")
    }

    func testBOMAndLeadingWhitespace() throws {
        let tree = try DockerfileParser.parse([0xEF, 0xBB, 0xBF] + Array("# escape=`\n\tFROM a\n".utf8))
        XCTAssertEqual(tree.directives.escape, "`")
        XCTAssertEqual(tree.nodes[0].range.start, SourceLocation(line: 2, column: 2))
    }
}
