@testable import Builder
import Foundation
import ImageArchive
import ImageSpec
import XCTest

/// `--build-context NAME=DIR|docker-image://REF|oci-layout://…|<git URL>`: expectations from the
/// `docker buildx build --build-context` reference and BuildKit's dockerfile frontend
/// (frontend/dockerui/namedcontext.go: a local context reads its own `.dockerignore`;
/// dockerfile2llb/convert.go: a context named like a stage replaces the stage, one named like a
/// FROM image replaces the image, names are normalized so `alpine` matches
/// `docker.io/library/alpine:latest`; a context without image config is a base with an empty
/// config; dockerfile_test.go testNamedImageContext, testNamedLocalContext, testNamedOCILayoutContext).
final class NamedContextTests: BuilderTestCase {
    var extra: URL!

    override func setUp() async throws {
        try await super.setUp()
        extra = root.appendingPathComponent("extra")
        try FileManager.default.createDirectory(at: extra.appendingPathComponent("dir"), withIntermediateDirectories: true)
        try Data("a\n".utf8).write(to: extra.appendingPathComponent("a.txt"))
        try Data("secret\n".utf8).write(to: extra.appendingPathComponent("secret.txt"))
        try Data("inner\n".utf8).write(to: extra.appendingPathComponent("dir/inner.txt"))
        // The named context's own .dockerignore applies to it (namedcontext.go, case "local").
        try Data("secret.txt\n".utf8).write(to: extra.appendingPathComponent(".dockerignore"))
        // The main context's .dockerignore must not apply to the named one.
        try write(".dockerignore", "a.txt\n")
    }

    /// testNamedLocalContext: COPY --from=NAME reads the directory, with its own .dockerignore.
    func testDirectoryContextForCopyFrom() async throws {
        let (result, _) = try await build("FROM scratch\nCOPY --from=extra / /out/\n") {
            $0.namedContexts["extra"] = .directory(self.extra.path)
        }
        let dir = try unpack(result)
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("out/a.txt"), encoding: .utf8), "a\n")
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("out/dir/inner.txt"), encoding: .utf8), "inner\n")
        XCTAssertNil(info("out/secret.txt", in: dir), "excluded by the context's own .dockerignore")
        XCTAssertEqual(try XCTUnwrap(info("out/a.txt", in: dir)).st_uid, 0)
    }

    /// A directory context as FROM base: its content is the root filesystem, the config is the
    /// empty image's (PATH, no CMD), and the stage's instructions run on it.
    func testDirectoryContextAsBase() async throws {
        let (result, _) = try await build("FROM base\nCOPY --from=base /a.txt /copied.txt\n") {
            $0.namedContexts["base"] = .directory(self.extra.path)
        }
        let dir = try unpack(result)
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("dir/inner.txt"), encoding: .utf8), "inner\n")
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("copied.txt"), encoding: .utf8), "a\n")
        XCTAssertNil(info("secret.txt", in: dir))
        XCTAssertEqual(result.manifest.layers.count, 2)
        XCTAssertEqual(result.config.config.env, ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"])
        XCTAssertNil(result.config.config.cmd)
    }

    /// A context named like a stage replaces the stage: none of its instructions run (here one
    /// would fail), and COPY --from=stage reads the context.
    func testContextReplacesStage() async throws {
        let (result, _) = try await build("""
            FROM scratch AS build
            COPY does-not-exist /
            FROM scratch
            COPY --from=build /a.txt /from-build.txt
            """) { $0.namedContexts["build"] = .directory(self.extra.path) }
        XCTAssertEqual(try file("from-build.txt", in: result), "a\n")
    }

    /// testNamedImageContext: `--build-context alpine=docker-image://…` overrides `FROM alpine`
    /// (and its normalized spellings) without pulling; COPY --from=alpine too.
    func testImageContextOverridesImageName() async throws {
        let busybox = try await loadBusybox()
        let found = try await service.localImage(busybox)
        let image = try XCTUnwrap(found)
        for from in ["alpine", "alpine:latest", "docker.io/library/alpine"] {
            let (result, _) = try await build("FROM \(from)\nCOPY --from=alpine /bin/busybox /copied\n") {
                $0.namedContexts["alpine"] = .image(busybox)
            }
            XCTAssertEqual(Array(result.manifest.layers.dropLast()), image.manifest.layers, from)
            XCTAssertEqual(result.config.config.cmd, image.config.config.cmd)
        }
        // `alpine:3.18` is another name: not overridden by `alpine` (so it would be pulled; here
        // the scratch context name makes it explicit instead).
        XCTAssertNil(NamedContext.lookupKey("alpine:3.18").flatMap { $0 == "alpine" ? $0 : nil })
        let (empty, _) = try await build("FROM alpine:3.18\nCOPY --from=ctx / /\n") {
            $0.namedContexts["alpine:3.18"] = .image("scratch")
            $0.namedContexts["ctx"] = .directory(self.extra.path)
        }
        XCTAssertEqual(empty.manifest.layers.count, 1)
    }

    /// testNamedOCILayoutContext: an image from an OCI layout (the CLI loads it; the builder gets
    /// the stored manifest).
    func testOCILayoutContext() async throws {
        let fixture = try await loadBusybox()
        let found = try await service.localImage(fixture)
        let image = try XCTUnwrap(found)
        let (result, _) = try await build("FROM base\n") { $0.namedContexts["base"] = .storedImage(image.manifestDescriptor) }
        XCTAssertEqual(result.manifest.layers, image.manifest.layers)
    }

    /// A git repository as named context (buildx accepts a git URL as a context value).
    func testGitContext() async throws {
        let repo = try GitTestRepository(at: root.appendingPathComponent("repo"))
        defer { repo.stop() }
        let (result, _) = try await build("FROM scratch\nCOPY --from=src /foo /foo\n") {
            $0.namedContexts["src"] = .git(repo.url + "#v0.0.1")
        }
        XCTAssertEqual(try file("foo", in: result), "foo of v0.0.1\n")
    }

    /// RUN --mount=from=NAME mounts the context; a changed directory re-runs the step.
    func testRunMountFromDirectoryContext() async throws {
        try requireContainers()
        let busybox = try await loadBusybox()
        let dockerfile = "FROM \(busybox)\nRUN --mount=from=extra,target=/mnt cat /mnt/a.txt > /out.txt && ls /mnt > /list.txt\n"
        let (first, _) = try await build(dockerfile) { $0.namedContexts["extra"] = .directory(self.extra.path) }
        XCTAssertEqual(try file("out.txt", in: first), "a\n")
        XCTAssertEqual(try file("list.txt", in: first), "a.txt\ndir\n", "secret.txt is excluded by the context's .dockerignore")
        try Data("changed\n".utf8).write(to: extra.appendingPathComponent("a.txt"))
        let (second, lines) = try await build(dockerfile) { $0.namedContexts["extra"] = .directory(self.extra.path) }
        XCTAssertFalse(lines.contains { $0.hasSuffix("CACHED") }, "\(lines)")
        XCTAssertEqual(try file("out.txt", in: second), "changed\n")
    }

    /// buildx's value forms.
    func testParsingFlags() throws {
        XCTAssertEqual(try NamedContext.parse("a=docker-image://alpine:3.18", workingDirectory: "/w").context, .image("alpine:3.18"))
        XCTAssertEqual(try NamedContext.parse("a=./dir", workingDirectory: "/w").context, .directory("/w/dir"))
        XCTAssertEqual(try NamedContext.parse("a=/abs", workingDirectory: "/w").context, .directory("/abs"))
        XCTAssertEqual(try NamedContext.parse("a=oci-layout://./layout:v1", workingDirectory: "/w").context,
                       .ociLayout(path: "/w/layout", reference: "v1"))
        XCTAssertEqual(try NamedContext.parse("a=https://host/r.git#main", workingDirectory: "/w").context, .git("https://host/r.git#main"))
        XCTAssertThrowsError(try NamedContext.parse("scratch=/x", workingDirectory: "/w"))
        XCTAssertThrowsError(try NamedContext.parse("novalue", workingDirectory: "/w"))
        XCTAssertEqual(NamedContext.lookupKey("docker.io/library/alpine:latest"), "alpine")
        XCTAssertEqual(NamedContext.lookupKey("alpine:3.18"), "alpine:3.18")
        XCTAssertNil(NamedContext.lookupKey("scratch"))
    }
}
