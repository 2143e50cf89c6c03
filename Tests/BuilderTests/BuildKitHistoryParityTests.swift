@testable import Builder
import Foundation
import ImageSpec
import XCTest

/// History and stage-reference behaviours of current BuildKit (issue 21), each ported from the
/// frontend test or change named in its comment (moby/buildkit frontend/dockerfile/
/// dockerfile_history_test.go, dockerfile_multistage_test.go, dockerfile2llb/convert_runmount.go).
final class BuildKitHistoryParityTests: BuilderTestCase {
    private func createdBy(_ result: BuildResult) -> [String] { result.config.history.map { $0.createdBy ?? "" } }

    // testExportedHistory: `WORKDIR /` adds no layer (empty_layer true); a WORKDIR that makes a
    // directory does; EXPOSE prints the parsed list in the instruction's sorted order
    // (moby/buildkit 98eab3257: `EXPOSE [1234/udp 2375/tcp 5000/tcp]`) with empty_layer true.
    func testWorkdirRootAndExposeHistory() async throws {
        let (result, _) = try await build("FROM scratch\nWORKDIR /\nWORKDIR /app\nEXPOSE 2375 5000 1234/udp\nEXPOSE 7000-7001/UDP\n") { _ in }
        let history = result.config.history
        XCTAssertEqual(history.count, 4, "\(createdBy(result))")
        XCTAssertEqual(history[0].createdBy, "WORKDIR /")
        XCTAssertEqual(history[0].emptyLayer, true)
        XCTAssertEqual(history[1].createdBy, "WORKDIR /app")
        XCTAssertNotEqual(history[1].emptyLayer, true)
        XCTAssertEqual(result.manifest.layers.count, 1)
        XCTAssertEqual(history[2].createdBy, "EXPOSE [1234/udp 2375/tcp 5000/tcp]")
        XCTAssertEqual(history[2].emptyLayer, true)
        XCTAssertEqual(history[3].createdBy, "EXPOSE [7000/udp 7001/udp]")
        XCTAssertEqual(result.config.config.exposedPorts, ["1234/udp", "2375/tcp", "5000/tcp", "7000/udp", "7001/udp"])
        XCTAssertEqual(result.config.config.workingDir, "/app")
        // Only `WORKDIR /`: no layer at all.
        let (rootOnly, _) = try await build("FROM scratch\nWORKDIR /\nENV A=b\n") { _ in }
        XCTAssertEqual(rootOnly.manifest.layers.count, 0)
        XCTAssertEqual(rootOnly.config.config.workingDir, "/")
    }

    // testExportedHistoryFlattenArgs (moby/buildkit#5505): an ARG declared again keeps its first
    // place in RUN's `|N` prefix, with its latest value; a stage FROM another stage carries the
    // declared args on (moby/buildkit c7c2f0e9, v0.15).
    func testRunHistoryBuildArgsInDeclarationOrder() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        let dockerfile = """
        FROM \(base) AS first
        ARG foo=bar
        ARG bar=123
        ARG foo=bar2
        RUN ls /etc/ >/dev/null
        FROM first
        ARG baz=1
        RUN true
        """
        let (result, _) = try await build(dockerfile) { _ in }
        let lines = createdBy(result)
        XCTAssertTrue(lines.contains("ARG foo=bar"), "\(lines)")
        XCTAssertTrue(lines.contains("RUN |2 foo=bar2 bar=123 /bin/sh -c ls /etc/ >/dev/null # buildkit"), "\(lines)")
        XCTAssertEqual(lines.last, "RUN |3 foo=bar2 bar=123 baz=1 /bin/sh -c true # buildkit", "\(lines)")
    }

    // dockerfile2llb dispatchArg (moby/buildkit 47a52a17, v0.14): ARG's history names the value in
    // effect: an inherited global value, the build arg when given, else the expanded default.
    func testArgHistoryNamesTheValueInEffect() async throws {
        let dockerfile = "ARG G=global\nFROM scratch\nARG G\nARG D=def-$G\nARG B=def\nARG N\nARG X Y=y\n"
        let (result, _) = try await build(dockerfile) { $0.buildArgs = ["B": "given"] }
        XCTAssertEqual(createdBy(result), ["ARG G=global", "ARG D=def-global", "ARG B=given", "ARG N", "ARG X Y=y"])
    }

    // convert_runmount.go dispatchRunMounts: `RUN --mount=from=NAME` of this stage or a later
    // one is an error, never a pull of an image called NAME (as testOutOfOrderStage for COPY).
    func testRunMountFromLaterStageIsAnError() async throws {
        try write("Dockerfile", "x")
        let dockerfile = """
        FROM scratch AS target
        RUN --mount=from=build,target=/src cat /src/d2
        FROM scratch AS build
        COPY Dockerfile /d2
        FROM target
        """
        await assertBuildFails(dockerfile, line: 2,
                               ["cannot mount from stage \"build\" to \"/src\", stage needs to be defined before current command"])
        await assertBuildFails("FROM scratch\nRUN --mount=from=0,target=/x true\n", line: 2,
                               ["cannot mount from stage \"0\" to \"/x\", stage needs to be defined before current command"])
        await assertBuildFails("FROM scratch\nRUN --mount=type=cache,from=3,target=/x true\n", line: 2, ["invalid stage index 3"])
    }
}
