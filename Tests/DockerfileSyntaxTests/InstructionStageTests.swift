import XCTest
@testable import DockerfileSyntax

final class InstructionStageTests: XCTestCase {
    func testStagesAndMetaArgs() throws {
        let program = try DockerfileProgram.parse("""
            ARG BASE=alpine
            ARG V
            # builder compiles things
            FROM --platform=$BUILDPLATFORM $BASE AS Builder
            RUN make
            ARG V
            FROM scratch
            COPY --from=builder /out /
            """)
        XCTAssertEqual(program.metaArgs.flatMap { $0.args.map(\.key) }, ["BASE", "V"])
        XCTAssertEqual(program.stages.count, 2)
        XCTAssertEqual(program.stages[0].name, "builder")
        XCTAssertEqual(program.stages[0].baseName, "$BASE")
        XCTAssertEqual(program.stages[0].platform, "$BUILDPLATFORM")
        XCTAssertEqual(program.stages[0].docComment, "compiles things")
        XCTAssertEqual(program.stages[0].instructions.map(\.keyword), ["RUN", "ARG"])
        XCTAssertNil(program.stages[1].name)
        XCTAssertEqual(program.stages[1].instructions.map(\.keyword), ["COPY"])
        XCTAssertEqual(program.stageIndex(named: "BUILDER"), 0)
        XCTAssertNil(program.stageIndex(named: "missing"))
        XCTAssertEqual(program.stages[1].range.start.line, 7)
    }

    func testOnlyArgMayPrecedeFrom() {
        XCTAssertThrowsError(try DockerfileProgram.parse("ARG a\nRUN x\nFROM b")) {
            XCTAssertEqual(($0 as? DockerfileError)?.message, "no build stage in current context")
            XCTAssertEqual(($0 as? DockerfileError)?.range?.start.line, 2)
        }
    }

    func testFirstInvalidInstructionStopsConversionWithItsLocation() {
        XCTAssertThrowsError(try DockerfileProgram.parse("FROM a\n\nWORKDIR\nRUNN x")) {
            XCTAssertEqual(($0 as? DockerfileError)?.message, "WORKDIR requires exactly one argument")
            XCTAssertEqual(($0 as? DockerfileError)?.range?.start.line, 3)
        }
    }

    func testDirectivesAreKept() throws {
        let program = try DockerfileProgram.parse("# escape=`\nFROM a\nRUN echo `\n  hi")
        XCTAssertEqual(program.directives.escape, "`")
        guard case .run(let run) = program.stages[0].instructions[0] else { return XCTFail() }
        XCTAssertEqual(run.command.arguments, ["echo   hi"])
    }

    func testStageNameRules() {
        XCTAssertTrue(StageName.isValid("a"))
        XCTAssertTrue(StageName.isValid("build-1_x.y"))
        XCTAssertFalse(StageName.isValid(""))
        XCTAssertFalse(StageName.isValid("1a"))
        XCTAssertFalse(StageName.isValid("-a"))
        XCTAssertFalse(StageName.isValid("a/b"))
        XCTAssertFalse(StageName.isValid("é"))
    }
}
