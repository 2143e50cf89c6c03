import Builder
import Foundation
import ImageSpec
import XCTest

/// Stages that do not depend on each other build at the same time, as BuildKit's solver runs
/// independent vertices of the LLB graph concurrently (BuildKit's README: "concurrent dependency
/// resolution"; the Dockerfile reference on multi-stage builds: "BuildKit only builds the stages
/// that the target stage depends on"). Expectations on which stages run come from those docs.
final class ParallelStageTests: BuilderTestCase {
    /// The `#N` step number of the first line starting a step titled with `title`.
    private func step(_ lines: [String], _ title: String) -> String? {
        lines.first { $0.hasSuffix(title) }.map { String($0.prefix { $0 != " " }) }
    }

    func testIndependentStagesOverlapAndUnusedStagesAreSkipped() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        let started = Date()
        let (result, lines) = try await build("""
            FROM \(base) AS a
            RUN sleep 1 && echo a > /a
            FROM \(base) AS b
            RUN sleep 1 && echo b > /b
            FROM \(base) AS unused
            RUN exit 9
            FROM a AS a2
            RUN cat /a > /a2
            FROM \(base)
            COPY --from=a2 /a2 /a2
            COPY --from=b /b /b
            """, noCache: true)
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(try file("a2", in: result), "a\n")
        XCTAssertEqual(try file("b", in: result), "b\n")
        // The unused stage (it would fail) never ran.
        XCTAssertFalse(lines.contains { $0.contains("[unused") }, lines.joined(separator: "\n"))
        // Both sleeps started before either was done: the stages ran at the same time.
        let text = lines.joined(separator: "\n")
        guard let runA = step(lines, "[a 2/2] RUN sleep 1 && echo a > /a"),
              let runB = step(lines, "[b 2/2] RUN sleep 1 && echo b > /b") else { return XCTFail(text) }
        let firstDone = lines.firstIndex { $0.hasPrefix(runA + " DONE") || $0.hasPrefix(runB + " DONE") }!
        XCTAssertLessThan(lines.firstIndex { $0.hasPrefix(runA + " ") }!, firstDone, text)
        XCTAssertLessThan(lines.firstIndex { $0.hasPrefix(runB + " ") }!, firstDone, text)
        // a2 (FROM a) starts only after a is done (its FROM a stage is no step: `[a2 1/1]`, as BuildKit counts).
        let runA2 = lines.firstIndex { $0.contains("[a2 1/1] RUN cat /a > /a2") }!
        XCTAssertLessThan(lines.firstIndex { $0.hasPrefix(runA + " DONE") }!, runA2, text)
        print("parallel stages build: \(String(format: "%.2f", elapsed)) s")
    }

    func testFailingStageCancelsTheOthersAndPointsAtItsLine() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        let started = Date()
        do {
            _ = try await build("""
                FROM \(base) AS slow
                RUN sleep 60
                FROM \(base) AS broken
                RUN sleep 0.5 && exit 7
                FROM \(base)
                COPY --from=slow /etc/passwd /p
                COPY --from=broken /etc/passwd /q
                """, noCache: true)
            XCTFail("expected a failure")
        } catch let error as BuildError {
            XCTAssertEqual(error.range?.start.line, 4, error.message)
            XCTAssertTrue(error.message.contains("exit code: 7"), error.message)
        }
        // The 60 s sleep was killed, not waited for.
        XCTAssertLessThan(Date().timeIntervalSince(started), 30)
    }

    func testParallelStagesRebuildFromCache() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        let dockerfile = """
            FROM \(base) AS x
            RUN echo x > /x
            FROM \(base) AS y
            RUN echo y > /y
            FROM scratch
            COPY --from=x /x /x
            COPY --from=y /y /y
            """
        let (first, _) = try await build(dockerfile)
        let (second, lines) = try await build(dockerfile)
        XCTAssertEqual(lines.filter { $0.hasSuffix(" CACHED") }.count, 4, lines.joined(separator: "\n"))
        XCTAssertEqual(first.manifest.layers, second.manifest.layers)
    }
}

extension ParallelStageTests {
    /// `RUN --mount=type=bind,from=STAGE,target=$DIR`: a variable elsewhere in the spec still leaves
    /// `from` literal (BuildKit rejects variables in `from`), so STAGE is a dependency and is
    /// finished before the RUN mounts it (BuildKit docs, RUN --mount=type=bind "from": "Build stage,
    /// context, or image name for the root of the source").
    func testBindMountFromAStageWaitsForIt() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        let (result, _) = try await build("""
            FROM \(base) AS maker
            RUN sleep 1 && echo made > /made
            FROM \(base)
            ARG DIR=/m
            RUN --mount=type=bind,from=maker,target=$DIR cat $DIR/made > /copied
            """, noCache: true)
        XCTAssertEqual(try file("copied", in: result), "made\n")
    }
}
