import Builder
import Foundation
import ImageSpec
import XCTest

final class BuilderTests: BuilderTestCase {
    func testScratchCopyBuild() async throws {
        try write("hello.txt", "hello\n")
        try write("sub/inner.txt", "inner\n")
        let (result, _) = try await build("""
            FROM scratch
            COPY hello.txt /app/
            COPY sub /data
            ENV A=1 B="two words"
            LABEL version=$A
            CMD ["/app/hello.txt"]
            """)
        XCTAssertEqual(result.manifest.layers.count, 2)
        XCTAssertEqual(result.config.config.env, ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "A=1", "B=two words"])
        XCTAssertEqual(result.config.config.labels, ["version": "1"])
        XCTAssertEqual(result.config.config.cmd, ["/app/hello.txt"])
        XCTAssertEqual(result.config.config.workingDir, "/")
        XCTAssertEqual(result.config.history.map { $0.createdBy ?? "" }, [
            "COPY hello.txt /app/ # buildkit", "COPY sub /data # buildkit", "ENV A=1 B=two words",
            "LABEL version=1", #"CMD ["/app/hello.txt"]"#,
        ])
        XCTAssertEqual(result.config.history.map(\.emptyLayer), [false, false, true, true, true])
        XCTAssertEqual(try file("app/hello.txt", in: result), "hello\n")
        XCTAssertEqual(try file("data/inner.txt", in: result), "inner\n")
    }

    func testMissingSourceFailsAtItsLine() async throws {
        do {
            _ = try await build("FROM scratch\nCOPY nope.txt /\n")
            XCTFail("expected a failure")
        } catch let error as BuildError {
            XCTAssertEqual(error.range?.start.line, 2)
            XCTAssertTrue(error.message.contains("not found"), error.message)
        }
    }

    func testBusyboxRunBuild() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        try write("a.txt", "from context\n")
        let (result, _) = try await build("""
            FROM \(base)
            ARG GREETING=hi
            WORKDIR /work
            COPY a.txt .
            RUN echo "$GREETING $(cat a.txt)" > out.txt && id -u >> out.txt
            RUN mkdir -p /home/u && chown 1000:1000 /home/u
            USER 1000:1000
            RUN id -u > /home/u/uid.txt
            """)
        XCTAssertEqual(try file("work/out.txt", in: result), "hi from context\n0\n")
        XCTAssertEqual(try file("home/u/uid.txt", in: result), "1000\n")
        let runs = result.config.history.compactMap(\.createdBy).filter { $0.hasPrefix("RUN") }
        XCTAssertEqual(runs.first, #"RUN |1 GREETING=hi /bin/sh -c echo "$GREETING $(cat a.txt)" > out.txt && id -u >> out.txt # buildkit"#)
        XCTAssertEqual(result.config.config.workingDir, "/work")
        XCTAssertEqual(result.config.config.user, "1000:1000")
    }

    func testFailingRunNamesExitCodeAndOutput() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        do {
            _ = try await build("FROM \(base)\nRUN echo about to fail && exit 3\n")
            XCTFail("expected a failure")
        } catch let error as BuildError {
            XCTAssertEqual(error.range?.start.line, 2)
            XCTAssertTrue(error.message.contains("exit code: 3"), error.message)
            XCTAssertEqual(error.details.last, "about to fail")
        }
    }

    func testRebuildIsCachedAndAChangedFileRebuildsFromItsCopy() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        try write("a.txt", "a\n")
        try write("b.txt", "b\n")
        let dockerfile = """
            FROM \(base)
            COPY a.txt /a.txt
            RUN cat /a.txt > /c.txt
            COPY b.txt /b.txt
            RUN cat /b.txt >> /c.txt
            """
        let (first, _) = try await build(dockerfile)
        let (second, lines) = try await build(dockerfile)
        XCTAssertEqual(lines.filter { $0.hasSuffix(" CACHED") }.count, 4, lines.joined(separator: "\n"))
        XCTAssertEqual(first.manifest.layers, second.manifest.layers)

        try write("b.txt", "changed\n")
        let (third, changed) = try await build(dockerfile)
        let cached = changed.filter { $0.hasSuffix(" CACHED") }.map { String($0.prefix { $0 != " " }) }
        XCTAssertEqual(cached, ["#2", "#3"], changed.joined(separator: "\n"))
        XCTAssertEqual(Array(third.manifest.layers.prefix(3)), Array(first.manifest.layers.prefix(3)))
        XCTAssertNotEqual(third.manifest.layers[3], first.manifest.layers[3])
        XCTAssertEqual(try file("c.txt", in: third), "a\nchanged\n")

        let (_, uncached) = try await build(dockerfile, noCache: true)
        XCTAssertTrue(uncached.allSatisfy { !$0.hasSuffix(" CACHED") })
    }
}
