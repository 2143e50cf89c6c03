import Foundation
import TestVectors
import XCTest

/// A cache Docker 20.10 exported, used by kiln (issue 18): `docker build --build-arg
/// BUILDKIT_INLINE_CACHE=1` + push; then kiln, with an empty store and a fresh copy of the context
/// (new mtimes), `kiln build --cache-from IMAGE` runs no step and gets Docker's layers; a changed
/// file re-runs its COPY and the steps after it. And the other way: kiln's `--cache-to
/// type=inline`, used by `docker build --cache-from`.
///
/// Opt-in (a Docker engine and a registry): `KILN_TEST_DOCKER_CACHE=1`, as root. The engine is
/// shared/tools/reference-docker, the registry shared/tools/local-registry on a random port.
final class DockerCacheInteropTests: XCTestCase {
    private var shell = Shell()
    private var work: URL!
    private var port = 0

    override func setUpWithError() throws {
        guard ProcessInfo.processInfo.environment["KILN_TEST_DOCKER_CACHE"] == "1" else { throw XCTSkip("opt-in: KILN_TEST_DOCKER_CACHE=1") }
        guard geteuid() == 0 else { throw XCTSkip("needs root (a Docker engine)") }
        work = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-dockercache-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try shell.startReferenceDocker()
        port = Int.random(in: 20000...60000)
        try shell.check("\(Shell.tools)/local-registry start \(port) && \(Shell.tools)/local-registry seed \(port)")
    }

    override func tearDownWithError() throws {
        if port != 0 { _ = try? shell.run("\(Shell.tools)/local-registry stop \(port)") }
        if let work { try? FileManager.default.removeItem(at: work) }
    }

    private func write(_ text: String, _ path: String, in dir: URL) throws {
        let url = dir.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: false, encoding: .utf8)
    }

    /// Step titles (`#N [i/n] …`, FROM left out) kiln or Docker printed, each with whether it was
    /// CACHED, in order of first appearance.
    private func steps(_ output: String) -> [(title: String, cached: Bool)] {
        var order: [String] = []
        var titles: [String: String] = [:]
        var cached = Set<String>()
        for line in output.split(separator: "\n").map(String.init) {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[0].hasPrefix("#") else { continue }
            let text = parts[1]
            if text.range(of: #"^\[[0-9]+/[0-9]+\] "#, options: .regularExpression) != nil, !text.contains("] FROM ") {
                if titles[parts[0]] == nil { order.append(parts[0]); titles[parts[0]] = text }
            } else if text == "CACHED" {
                cached.insert(parts[0])
            }
        }
        return order.map { (titles[$0]!, cached.contains($0)) }
    }

    func testKilnRunsNoStepOfADockerInlineCache() throws {
        let registry = "127.0.0.1:\(port)"
        let context = work.appendingPathComponent("ctx")
        try write("""
        FROM \(registry)/fixture/busybox:latest
        ARG FLAVOUR=plain
        ENV APP_HOME=/srv/app GREETING=hello
        WORKDIR /srv/app
        RUN echo "$GREETING $FLAVOUR" > /greeting && sleep 1
        COPY note.txt .
        COPY conf /etc/app/
        RUN cat note.txt /etc/app/a.conf > combined && echo step-output-$((40+2))
        CMD ["cat", "/greeting"]

        """, "Dockerfile", in: context)
        try write("interop\n", "note.txt", in: context)
        try write("a=1\n", "conf/a.conf", in: context)
        try write("b\n", "conf/sub/b.conf", in: context)
        let image = "\(registry)/interop/dockercache:1"
        try shell.check("DOCKER_BUILDKIT=1 /usr/bin/docker build --network=host --build-arg BUILDKIT_INLINE_CACHE=1 -t \(image) '\(context.path)'")
        defer { _ = try? shell.run("/usr/bin/docker rmi -f \(image)") }
        try shell.check("/usr/bin/docker push \(image)")
        let dockerLayers = try shell.check("/usr/bin/docker image inspect --format '{{json .RootFS.Layers}}' \(image)")
            .trimmingCharacters(in: .whitespacesAndNewlines)

        // Another machine: a fresh copy of the context (new mtimes), an empty store.
        let copy = work.appendingPathComponent("checkout")
        try shell.check("cp -r '\(context.path)' '\(copy.path)' && touch '\(copy.path)/note.txt'")
        for (n, cacheFrom) in [image, "type=registry,ref=\(image)"].enumerated() {
            shell.environment["KILN_ROOT"] = work.appendingPathComponent("store-\(n)").path
            let output = try shell.check("\(Shell.kiln) build --network host --cache-from '\(cacheFrom)' -t kiln-interop/cached:1 '\(copy.path)'")
            let steps = steps(output)
            XCTAssertEqual(steps.count, 5, output)
            XCTAssertTrue(steps.allSatisfy(\.cached), "every step from Docker's cache (\(cacheFrom)):\n\(output)")
            XCTAssertFalse(output.contains("step-output-42"), output)
            let kilnLayers = try shell.check("\(Shell.kiln) image inspect --format '{{json .RootFS.Layers}}' kiln-interop/cached:1")
                .trimmingCharacters(in: .whitespacesAndNewlines)
            XCTAssertEqual(kilnLayers, dockerLayers, "kiln's image has Docker's layers")
            let ran = try shell.check("\(Shell.kiln) run --rm --network none kiln-interop/cached:1 cat /srv/app/combined")
            XCTAssertTrue(ran.contains("interop") && ran.contains("a=1"), ran)
        }

        // A changed file: its COPY and the steps after it run; the ones before come from the cache.
        // (With a plain `--cache-from IMAGE`, kiln also matches history texts the classic way,
        // which reuses a COPY of changed files: docs/DOCKER-CLI.md. type=registry keys only.)
        try write("changed\n", "note.txt", in: copy)
        shell.environment["KILN_ROOT"] = work.appendingPathComponent("store-changed").path
        let output = try shell.check("\(Shell.kiln) build --network host --cache-from 'type=registry,ref=\(image)' -t kiln-interop/changed:1 '\(copy.path)'")
        XCTAssertEqual(steps(output).map(\.cached), [true, true, false, false, false], output)
        XCTAssertTrue(output.contains("step-output-42"), output)
    }
    /// The other way: kiln builds with `--cache-to type=inline` and pushes; Docker 20.10 builds the
    /// same Dockerfile with `--cache-from` that image, runs no step and gets kiln's layers. The
    /// Dockerfile names a fresh directory, so no step can come from the engine's own cache.
    func testDockerRunsNoStepOfAKilnInlineCache() throws {
        let registry = "127.0.0.1:\(port)"
        let token = UUID().uuidString.lowercased()
        let context = work.appendingPathComponent("ctx-kiln")
        try write("""
        FROM \(registry)/fixture/busybox:latest
        ENV TOKEN=\(token)
        WORKDIR /srv/\(token)
        COPY note.txt .
        COPY conf /etc/app/
        RUN cat note.txt /etc/app/a.conf > combined && echo "$TOKEN" >> combined
        CMD ["cat", "combined"]

        """, "Dockerfile", in: context)
        try write("from kiln\n", "note.txt", in: context)
        try write("a=2\n", "conf/a.conf", in: context)
        try write("c\n", "conf/sub/c.conf", in: context)
        let image = "\(registry)/interop/kilncache:1"
        shell.environment["KILN_ROOT"] = work.appendingPathComponent("store-export").path
        try shell.check("\(Shell.kiln) build --network host --cache-to type=inline -t \(image) --push '\(context.path)'")
        let kilnLayers = try shell.check("\(Shell.kiln) image inspect --format '{{json .RootFS.Layers}}' \(image)")
            .trimmingCharacters(in: .whitespacesAndNewlines)

        let copy = work.appendingPathComponent("checkout-docker")
        try shell.check("cp -r '\(context.path)' '\(copy.path)'")
        let tag = "kiln-interop/fromkiln:\(token.prefix(8))"
        let output = try shell.check("DOCKER_BUILDKIT=1 /usr/bin/docker build --progress=plain --network=host --cache-from \(image) -t \(tag) '\(copy.path)'")
        defer { _ = try? shell.run("/usr/bin/docker rmi -f \(tag)") }
        let steps = steps(output)
        XCTAssertEqual(steps.count, 4, output)
        XCTAssertTrue(steps.allSatisfy(\.cached), "every step from kiln's cache:\n\(output)")
        let dockerLayers = try shell.check("/usr/bin/docker image inspect --format '{{json .RootFS.Layers}}' \(tag)")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(dockerLayers, kilnLayers, "Docker's image has kiln's layers")
    }
}
