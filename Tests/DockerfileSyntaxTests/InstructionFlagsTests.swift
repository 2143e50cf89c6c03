import XCTest
@testable import DockerfileSyntax

final class InstructionFlagsTests: XCTestCase {
    private func copy(_ text: String) -> CopyInstruction? {
        guard case .copy(let c)? = instruction(text) else { return nil }
        return c
    }

    func testBooleanFlagForms() {
        XCTAssertEqual(copy("COPY --link a b")?.link, true)
        XCTAssertEqual(copy("COPY --link=true a b")?.link, true)
        XCTAssertEqual(copy("COPY --link=TRUE a b")?.link, true)
        XCTAssertEqual(copy("COPY --link=False a b")?.link, false)
        XCTAssertEqual(copy("COPY a b")?.link, false)
        assertInstructionError("COPY --link= a b", "missing a value on flag: --link")
        assertInstructionError("COPY --link=yes a b", "expecting boolean value for flag --link, not: yes")
    }

    func testStringFlagsNeedEquals() {
        XCTAssertEqual(copy("COPY --chown= a b")?.chown, "")
        XCTAssertNil(copy("COPY a b")?.chown)
        assertInstructionError("COPY --chown a b", "missing a value on flag: --chown")
        assertInstructionError("COPY --from=a --from=b x y", "duplicate flag specified: --from")
        assertInstructionError("COPY --link --link x y", "duplicate flag specified: --link")
    }

    func testRepeatableFlagsAccumulate() {
        XCTAssertEqual(copy("COPY --exclude=*.md --exclude=*.txt a b")?.excludes, ["*.md", "*.txt"])
        guard case .run(let run)? = instruction("RUN --mount=type=cache,target=/a --mount=type=tmpfs,target=/b true") else {
            return XCTFail()
        }
        XCTAssertEqual(run.mountSpecs, ["type=cache,target=/a", "type=tmpfs,target=/b"])
        XCTAssertEqual(run.flagsUsed, ["mount"])
    }

    func testQuotedFlagValuesComeUnquoted() {
        XCTAssertEqual(copy("COPY --chown=\"a b\" x y")?.chown, "a b")
    }

    func testDoubleDashEndsFlags() {
        let c = copy("COPY -- --weird /dst")
        XCTAssertEqual(c?.sources.sourcePaths, ["--weird"])
        XCTAssertEqual(c?.sources.destination, "/dst")
    }

    func testUnknownFlagSuggestsAndPointsAtTheFlag() {
        let error = assertInstructionError("COPY --frm=build /a /b", "unknown flag: --frm")
        XCTAssertEqual(error?.suggestion, "did you mean --from?")
        XCTAssertEqual(error?.range, SourceRange(start: SourceLocation(line: 1, column: 6), end: SourceLocation(line: 1, column: 10)))
        XCTAssertEqual(error?.description, "unknown flag: --frm (did you mean --from?)")
        XCTAssertNil(assertInstructionError("ADD --from=x a b", "unknown flag: --from")?.suggestion)
    }

    func testFlagErrorsOnContinuationLinesPointAtTheInstruction() {
        do {
            let tree = try DockerfileParser.parse("COPY \\\n  --frm=b x y")
            XCTAssertThrowsError(try Instruction.parse(tree.nodes[0])) { error in
                XCTAssertEqual((error as? DockerfileError)?.range?.start.line, 1)
                XCTAssertEqual((error as? DockerfileError)?.range?.start.column, 1)
            }
        } catch { XCTFail("\(error)") }
    }

    func testEveryInstructionRejectsUnknownFlagsExceptArgStopsignalAndHealthcheckNone() {
        let rejecting = [
            "FROM --x=1 a", "RUN --x=1 a", "CMD --x=1 a", "ENTRYPOINT --x=1 a", "SHELL --x=1 [\"a\"]",
            "COPY --x=1 a b", "ADD --x=1 a b", "ENV --x=1 a=b", "LABEL --x=1 a=b", "EXPOSE --x=1 80",
            "WORKDIR --x=1 /a", "USER --x=1 a", "VOLUME --x=1 /a", "HEALTHCHECK --x=1 CMD a",
            "ONBUILD --x=1 RUN a", "MAINTAINER --x=1 me",
        ]
        for text in rejecting {
            assertInstructionError(text, "unknown flag: --x")
        }
        XCTAssertNotNil(instruction("ARG --x=1 a"))
        XCTAssertNotNil(instruction("STOPSIGNAL --x=1 9"))
        XCTAssertNotNil(instruction("HEALTHCHECK --x=1 NONE"))
    }

    func testParsedFlagsAccessors() {
        var flags = ParsedFlags()
        flags.record("link", "true")
        flags.record("exclude", "a")
        flags.record("exclude", "b")
        XCTAssertEqual(flags.used, ["link", "exclude"])
        XCTAssertEqual(flags.bool("link"), true)
        XCTAssertEqual(flags.strings("exclude"), ["a", "b"])
        XCTAssertNil(flags.string("from"))
    }
}
