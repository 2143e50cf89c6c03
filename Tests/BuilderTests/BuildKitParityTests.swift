@testable import Builder
import Foundation
import ImageSpec
import XCTest

/// Behaviours of current BuildKit (issue 21), each ported from the BuildKit frontend test or PR
/// named in its comment, built with the busybox fixture.
final class BuildKitParityTests: BuilderTestCase {
    private func cached(_ lines: [String]) -> Bool { lines.contains { $0.hasSuffix(" CACHED") } }

    // BuildKit keys an exec's mounts by the content hash of the mounted path
    // (solver/llbsolver/ops/exec.go ContentBasedHash; frontend test testMountContext mounts the
    // context). A changed bind-mounted context file re-runs the step and shows the new content;
    // unchanged (even touched) it is CACHED, exactly as COPY's checksum.
    func testBindMountedContextContentIsInTheCacheKey() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        try write("data/value.txt", "first\n")
        try write("other.txt", "not mounted\n")
        let dockerfile = "FROM \(base)\nRUN --mount=source=data,target=/x cat /x/value.txt\n"
        let (_, first) = try await build(dockerfile) { _ in }
        XCTAssertFalse(cached(first), first.joined(separator: "\n"))
        XCTAssertTrue(outputLines(first).contains("first"), first.joined(separator: "\n"))

        let (_, same) = try await build(dockerfile) { _ in }
        XCTAssertTrue(cached(same), same.joined(separator: "\n"))

        // Another context file (not below the mount source) does not matter.
        try write("other.txt", "changed\n")
        let (_, unrelated) = try await build(dockerfile) { _ in }
        XCTAssertTrue(cached(unrelated), unrelated.joined(separator: "\n"))

        try write("data/value.txt", "second\n")
        let (_, changed) = try await build(dockerfile) { _ in }
        XCTAssertFalse(cached(changed), changed.joined(separator: "\n"))
        XCTAssertTrue(outputLines(changed).contains("second"), changed.joined(separator: "\n"))

        // A single-file source and the whole context (`source=.`) behave the same.
        let whole = "FROM \(base)\nRUN --mount=source=.,target=/ctx cat /ctx/data/value.txt\n"
        _ = try await build(whole) { _ in }
        try write("data/value.txt", "third\n")
        let (_, rerun) = try await build(whole) { _ in }
        XCTAssertFalse(cached(rerun), rerun.joined(separator: "\n"))
        XCTAssertTrue(outputLines(rerun).contains("third"), rerun.joined(separator: "\n"))
    }

    // Same rule for a .dockerignore'd file: BuildKit never sends it, so the mount does not show it
    // and changing it keeps the cache (frontend/dockerfile testDockerignore, the mount reads the
    // same filtered context as COPY).
    func testBindMountHonoursDockerignore() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        try write(".dockerignore", "secret.txt\n")
        try write("secret.txt", "hidden\n")
        try write("shown.txt", "shown\n")
        let dockerfile = "FROM \(base)\nRUN --mount=target=/ctx sh -c 'ls /ctx; cat /ctx/shown.txt'\n"
        let (_, first) = try await build(dockerfile) { _ in }
        XCTAssertFalse(outputLines(first).contains("secret.txt"), first.joined(separator: "\n"))
        XCTAssertTrue(outputLines(first).contains("shown.txt"), first.joined(separator: "\n"))
        try write("secret.txt", "changed\n")
        let (_, again) = try await build(dockerfile) { _ in }
        XCTAssertTrue(cached(again), again.joined(separator: "\n"))
    }

    // Proxy build args: BuildKit client/client_network_test.go testProxyEnv and dockerfile2llb
    // proxyEnvFromBuildArgs: given with --build-arg they reach RUN without an ARG line (upper and
    // lower case), stay out of the image config and history, and out of the cache key.
    func testProxyBuildArgsReachRunOnly() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        let dockerfile = "FROM \(base)\nRUN echo \"p=$HTTP_PROXY,$http_proxy,$no_proxy,$NO_PROXY,$FTP_PROXY\"\n"
        let (result, lines) = try await build(dockerfile) {
            $0.buildArgs = ["http_proxy": "http://127.0.0.1:3128", "NO_PROXY": "localhost", "ftp_proxy": "ftp://x"]
        }
        XCTAssertTrue(outputLines(lines).contains("p=http://127.0.0.1:3128,http://127.0.0.1:3128,localhost,localhost,ftp://x"),
                      lines.joined(separator: "\n"))
        XCTAssertFalse(result.config.config.env.contains { $0.lowercased().contains("proxy") }, "\(result.config.config.env)")
        XCTAssertFalse(result.config.history.contains { ($0.createdBy ?? "").lowercased().contains("proxy=") },
                       "\(result.config.history.map(\.createdBy))")
        // Another proxy value: same cache key (BuildKit's exec cache map drops ProxyEnv).
        let (_, again) = try await build(dockerfile) { $0.buildArgs = ["http_proxy": "http://127.0.0.1:9999"] }
        XCTAssertTrue(cached(again), again.joined(separator: "\n"))
    }

    // frontend/dockerfile testPlatformArgsExplicit: FROM --platform=$BUILDPLATFORM runs on the
    // build platform while TARGETPLATFORM/TARGETOS name the --platform target (a build arg still
    // overrides TARGETOS).
    func testBuildPlatformStageWithAnotherTarget() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        let dockerfile = """
        FROM --platform=$BUILDPLATFORM \(base) AS build
        ARG TARGETPLATFORM
        ARG TARGETOS
        ARG BUILDPLATFORM
        RUN echo "target=$TARGETPLATFORM os=$TARGETOS build=$BUILDPLATFORM arch=$(uname -m)"
        """
        let (_, lines) = try await build(dockerfile) {
            $0.platform = try! Platform(parsing: "darwin/ppc64le")
            $0.buildArgs = ["TARGETOS": "freebsd"]
        }
        let host = Builder.platformArgValue(.host)
        let arch = outputLines(lines).first { $0.hasPrefix("target=") } ?? ""
        XCTAssertTrue(arch.hasPrefix("target=darwin/ppc64le os=freebsd build=\(host) arch="), lines.joined(separator: "\n"))
        // A stage FROM a local image of another platform than its --platform is not used as is.
        XCTAssertFalse(Builder.samePlatform(.host, try Platform(parsing: "darwin/ppc64le")))
        XCTAssertTrue(Builder.samePlatform(try Platform(parsing: "linux/arm64/v8"), try Platform(parsing: "linux/arm64")))
        XCTAssertEqual(Builder.platformArgValue(try Platform(parsing: "linux/arm64")), "linux/arm64")
        XCTAssertEqual(Builder.platformArgValue(try Platform(parsing: "linux/arm/v7")), "linux/arm/v7")
    }

    // frontend/dockerfile testTargetStageNameArg: TARGETSTAGE is the --target stage, and the last
    // stage's name without --target; only visible after `ARG TARGETSTAGE`.
    func testTargetStageArg() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        let dockerfile = """
        FROM \(base) AS base
        RUN echo "first:$TARGETSTAGE"
        ARG TARGETSTAGE
        RUN echo "second:$TARGETSTAGE"
        FROM base AS Final
        """
        let (_, lines) = try await build(dockerfile) { _ in }
        XCTAssertTrue(outputLines(lines).contains("first:"), lines.joined(separator: "\n"))
        XCTAssertTrue(outputLines(lines).contains("second:final"), lines.joined(separator: "\n"))
        let (_, targeted) = try await build(dockerfile, noCache: true) { $0.target = "base" }
        XCTAssertTrue(outputLines(targeted).contains("second:base"), targeted.joined(separator: "\n"))
    }

    // frontend/dockerfile testDockerfileCheckHostname (moby/buildkit#1301): the
    // BUILDKIT_SANDBOX_HOSTNAME build arg names the RUN container's host.
    func testSandboxHostnameBuildArg() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        let dockerfile = "FROM \(base)\nRUN echo \"host=$(hostname) $(grep -c foo /etc/hosts)\"\n"
        let (result, lines) = try await build(dockerfile) { $0.buildArgs = ["BUILDKIT_SANDBOX_HOSTNAME": "foo"] }
        XCTAssertTrue(outputLines(lines).contains("host=foo 1"), lines.joined(separator: "\n"))
        XCTAssertFalse(result.config.history.contains { ($0.createdBy ?? "").contains("BUILDKIT_SANDBOX_HOSTNAME") })
        let (_, plain) = try await build(dockerfile) { _ in }
        XCTAssertFalse(cached(plain), plain.joined(separator: "\n"))
        XCTAssertTrue(outputLines(plain).contains("host=buildkitsandbox 0"), plain.joined(separator: "\n"))
    }

    // frontend/dockerfile testUserAdditionalGids (CVE-2023-25173): without USER the process has
    // root's supplementary groups from the image's /etc/group (the fixture's /etc/group has no
    // wheel group as Docker Hub's busybox has; the first RUN adds it).
    func testRootGetsSupplementaryGroups() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        let dockerfile = """
        FROM \(base)
        RUN cat /etc/group && echo 'wheel:x:10:root' >> /etc/group
        RUN echo "none: $(id)"
        USER root
        RUN echo "root: $(id)"
        USER 1234
        RUN echo "numeric: $(id)"
        USER 1234:1234
        RUN echo "pair: $(id)"
        """
        let (_, lines) = try await build(dockerfile) { _ in }
        let out = outputLines(lines)
        XCTAssertTrue(out.contains("none: uid=0(root) gid=0(root) groups=0(root),10(wheel)"), out.joined(separator: "\n"))
        XCTAssertTrue(out.contains("root: uid=0(root) gid=0(root) groups=0(root),10(wheel)"), out.joined(separator: "\n"))
        XCTAssertTrue(out.contains("numeric: uid=1234 gid=0(root) groups=0(root)"), out.joined(separator: "\n"))
        XCTAssertTrue(out.contains("pair: uid=1234 gid=1234 groups=1234"), out.joined(separator: "\n"))
    }

    // executor/stubs.go MountStubsCleaner (moby/buildkit#1739; empty directories #3307, #3314,
    // v0.11): the mount points RUN --mount needed — a secret's file, cache/tmpfs/bind targets and
    // the directories made for them — are not left in the layer; what the step wrote is kept.
    func testMountPointsLeaveNoPlaceholders() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        try write("ctx.txt", "c\n")
        let dockerfile = """
        FROM \(base)
        RUN --mount=type=secret,id=x,target=/mysecret --mount=type=cache,target=/deep/cache/dir \\
            --mount=type=tmpfs,target=/scratchpad --mount=type=bind,source=ctx.txt,target=/opt/in/ctx.txt \\
            --mount=type=secret,id=y,target=/etc/app/key \\
            sh -c 'cat /mysecret /opt/in/ctx.txt && mkdir -p /opt/kept && echo k > /opt/kept/file'
        """
        let (result, lines) = try await build(dockerfile) {
            $0.secrets["x"] = Array("s3cret".utf8)
            $0.secrets["y"] = Array("y".utf8)
        }
        XCTAssertFalse(lines.joined().contains("s3cret"), lines.joined(separator: "\n"))
        let dir = try unpack(result)
        for path in ["mysecret", "deep", "scratchpad", "opt/in", "etc/app"] {
            XCTAssertNil(info(path, in: dir), "\(path) was left in the image")
        }
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("opt/kept/file"), encoding: .utf8), "k\n")
        XCTAssertNotNil(info("etc/passwd", in: dir))
    }

    // frontend/dockerfile testOutOfOrderStage: COPY --from a stage defined later is an error (no
    // pull of an image of that name); a stage number that is not earlier too.
    func testCopyFromLaterStageIsAnError() async throws {
        let dockerfile = """
        FROM scratch AS target
        COPY --from=build /d2 /out
        FROM scratch AS build
        COPY Dockerfile /d2
        FROM target
        """
        try write("Dockerfile", dockerfile)
        await assertBuildFails(dockerfile, line: 2, ["cannot copy from stage \"build\", it needs to be defined before current stage \"target\""])
        await assertBuildFails("FROM scratch\nCOPY --from=0 /a /b\n", line: 2,
                               ["cannot copy from stage \"0\", it needs to be defined before current stage \"stage-0\""])
        await assertBuildFails("FROM scratch\nCOPY --from=7 /a /b\n", line: 2, ["invalid stage index 7"])
        // Also from an ONBUILD trigger of a base stage.
        let trigger = try await buildError("FROM scratch AS one\nONBUILD COPY --from=later /a /b\nFROM one AS two\nFROM scratch AS later\n") {
            $0.target = "two"
        }
        XCTAssertTrue(trigger.message.contains("cannot copy from stage \"later\", it needs to be defined before current stage \"two\""),
                      trigger.message)
    }

    // frontend/dockerfile testCopyParentsMissingDirectory: `COPY --parents` of a plain path that
    // does not exist fails as plain COPY does (kiln words it as COPY does: `"/test/nonexistent-file" not found`); a wildcard that
    // matches nothing copies nothing.
    func testCopyParentsOfAMissingSource() async throws {
        try write("test/a/b/c/d/foo", "x")
        await assertBuildFails("FROM scratch\nCOPY --parents /test/nonexistent-file /out/\n", line: 2,
                               ["\"/test/nonexistent-file\" not found"])
        await assertBuildFails("FROM scratch\nCOPY --parents /test/a/./nonexistent /out/\n", line: 2, ["not found"])
        let (result, _) = try await build("FROM scratch\nCOPY --parents /test/a/b2*/c /out/\nCOPY --parents /test/a/b/c/d /out/\n") { _ in }
        let dir = try unpack(result)
        XCTAssertNotNil(info("out/test/a/b/c/d/foo", in: dir))
    }

    // frontend/dockerfile testCopyInvalidChmod: an octal mode above 07777 or with letters is an
    // error with BuildKit's message naming the allowed range.
    func testChmodOutOfRange() async throws {
        try write("foo", "foo-contents")
        await assertBuildFails("FROM scratch\nCOPY --chmod=10000 foo /\n", line: 2,
                               ["invalid chmod parameter: '10000'. it should be octal string and between 0 and 07777"])
        await assertBuildFails("FROM scratch\nCOPY --chmod=64a foo /\n", line: 2,
                               ["invalid chmod parameter: '64a'. it should be octal string and between 0 and 07777"])
        await assertBuildFails("FROM scratch\nARG M=99\nADD --chmod=$M foo /\n", line: 3,
                               ["invalid chmod parameter: '99'"])
        let (result, _) = try await build("FROM scratch\nCOPY --chmod=7777 foo /\n") { _ in }
        XCTAssertEqual(info("foo", in: try unpack(result)).map { $0.st_mode & 0o7777 }, 0o7777)
    }

    // Dockerfile reference (RUN --mount=type=cache, `source`: subpath in the cache) and
    // frontend/dockerfile testCacheMountSourceEscape: `source=` selects a path inside the cache;
    // a symlink there cannot lead out of the cache (the build fails).
    func testCacheMountSourceSelectsSubpath() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        let dockerfile = """
        FROM \(base)
        RUN --mount=type=cache,id=sel,target=/cache mkdir -p /cache/sel && echo inner > /cache/sel/file.txt
        RUN --mount=type=cache,id=sel,source=sel,target=/picked cat /picked/file.txt
        """
        let (_, lines) = try await build(dockerfile, noCache: true) { _ in }
        XCTAssertTrue(outputLines(lines).contains("inner"), lines.joined(separator: "\n"))

        let escape = """
        FROM \(base)
        RUN --mount=type=cache,id=escape,target=/cache rm -rf /cache/sel && ln -s /etc /cache/sel
        RUN --mount=type=cache,id=escape,source=sel,target=/victim cat /victim/passwd
        """
        let error = try await buildError(escape) { $0.noCache = true }
        XCTAssertEqual(error.range?.start.line, 3, error.message)
        XCTAssertTrue(error.message.contains("not found in the cache"), error.message)
    }

    // frontend/dockerfile testTargetMistype: an unknown --target names the closest stage, in
    // BuildKit's suggest.WrapError wording.
    func testTargetTypoSuggestsTheStage() async throws {
        do {
            _ = try await build("FROM scratch AS build\nFROM scratch\n") { $0.target = "bulid" }
            XCTFail("expected the build to fail")
        } catch let error as BuildError {
            XCTAssertTrue(error.message.contains("target stage \"bulid\" could not be found (did you mean build?)"), error.message)
        }
    }

    // frontend/dockerfile testArgDefaultExpansion: `ARG BAR=${FOO:?"foo missing"}` fails without
    // FOO, works with --build-arg FOO, and also with --build-arg BAR (the default is not needed).
    func testArgDefaultRequiredOnlyWithoutBuildArg() async throws {
        let dockerfile = "FROM scratch\nARG FOO\nARG BAR=${FOO:?\"foo missing\"}\nENV BAR=$BAR\n"
        await assertBuildFails(dockerfile, line: 3, ["FOO: foo missing"])
        let (withFoo, _) = try await build(dockerfile) { $0.buildArgs = ["FOO": "123"] }
        XCTAssertTrue(withFoo.config.config.env.contains("BAR=123"), "\(withFoo.config.config.env)")
        let (withBar, _) = try await build(dockerfile) { $0.buildArgs = ["BAR": "456"] }
        XCTAssertTrue(withBar.config.config.env.contains("BAR=456"), "\(withBar.config.config.env)")
    }
}
