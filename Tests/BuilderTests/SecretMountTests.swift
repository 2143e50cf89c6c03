@testable import Builder
import Foundation
import ImageArchive
import ImageSpec
import ImageStore
import Images
import TestVectors
import XCTest

/// `RUN --mount=type=secret` and `kiln build --secret`.
final class SecretMountTests: BuilderTestCase {
    // buildx `parseSecret` + BuildKit `secretsprovider.NewStore`: src/source, env, type=env with
    // src naming the variable, and a bare id naming a set variable, else a file.
    func testSecretFlagParsing() throws {
        let env = ["TOKEN": "t"]
        XCTAssertEqual(try SecretSpec(parsing: "id=a,src=/f", environment: env), try SecretSpec(parsing: "id=a,source=/f", environment: env))
        XCTAssertEqual(try SecretSpec(parsing: "id=a,src=/f", environment: env).filePath, "/f")
        XCTAssertEqual(try SecretSpec(parsing: "id=a,env=TOKEN", environment: env).env, "TOKEN")
        XCTAssertEqual(try SecretSpec(parsing: "type=env,id=a,src=TOKEN", environment: env).env, "TOKEN")
        XCTAssertEqual(try SecretSpec(parsing: "id=TOKEN", environment: env).env, "TOKEN")
        XCTAssertEqual(try SecretSpec(parsing: "id=/some/file", environment: env).filePath, "/some/file")
        XCTAssertThrowsError(try SecretSpec(parsing: "src=/f", environment: env))  // "secret missing ID"
        XCTAssertThrowsError(try SecretSpec(parsing: "id=a,type=vault", environment: env))
        XCTAssertThrowsError(try SecretSpec(parsing: "id=a,bogus=1", environment: env))
        XCTAssertThrowsError(try SecretSpec(parsing: "id", environment: env))
        XCTAssertEqual(try SecretSpec(parsing: "id=a,env=TOKEN", environment: env).load(environment: env), Array("t".utf8))
        // buildx parseSSH: `default` alone is $SSH_AUTH_SOCK; `id=a,b` lists key files.
        XCTAssertEqual(try SSHSpec(parsing: "default", environment: ["SSH_AUTH_SOCK": "/s"]).paths, ["/s"])
        XCTAssertEqual(try SSHSpec(parsing: "k=/a,/b", environment: [:]).paths, ["/a", "/b"])
        XCTAssertThrowsError(try SSHSpec(parsing: "default", environment: [:]))
    }

    // `kiln build --secret` reports a missing file or id before building (buildx: "failed to stat",
    // "secret missing ID").
    func testSecretFlagErrorsFromTheCLI() throws {
        try write("Dockerfile", "FROM scratch\n")
        let store = root.appendingPathComponent("cli-store").path
        let missing = try KilnProcess.run(["build", "--root", store, "--secret", "id=x,src=/nonexistent/kiln", context.path])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("failed to stat /nonexistent/kiln"), missing.stderr)
        let noID = try KilnProcess.run(["build", "--root", store, "--secret", "src=/etc/hostname", context.path])
        XCTAssertEqual(noID.status, 1)
        XCTAssertTrue(noID.stderr.contains("secret missing ID"), noID.stderr)
    }

    // RFC 4231 test case 2 (HMAC-SHA256, key "Jefe").
    func testHMACMatchesRFC4231() {
        XCTAssertEqual(SecretDigest.hmac(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)),
                       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    func testRedactorCatchesValuesSplitAcrossChunks() {
        let redactor = SecretRedactor([Array("hunter22\n".utf8)])
        var out = redactor.feed(Array("a hun".utf8))
        out += redactor.feed(Array("ter22 b".utf8))
        out += redactor.flush()
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "a **** b")
    }

    // The acceptance test: a secret copied to a file and deleted again in one RUN (and
    // printed) leaves no byte of it in any blob, cache record, history entry or log line; the
    // same value as a build arg (contrast) lands in the image history, and `kiln check` flags
    // that Dockerfile (BuildKit's SecretsUsedInArgOrEnv rule).
    func testSecretNeverReachesStoreOrLogButBuildArgDoes() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        let secret = "kiln-s3cret-\(UUID().uuidString)"
        let secretFile = root.appendingPathComponent("secret.txt")
        try Data(secret.utf8).write(to: secretFile)
        let spec = try SecretSpec(parsing: "id=s,src=\(secretFile.path)")
        let value = try spec.load()
        let dockerfile = """
        FROM \(base)
        RUN --mount=type=secret,id=s cp /run/secrets/s /tmp/x && cat /tmp/x && echo && rm /tmp/x
        RUN --mount=type=secret,id=s,env=S_VALUE sh -c 'echo "env:$S_VALUE"'
        """
        let (result, lines) = try await build(dockerfile) { $0.secrets["s"] = value }
        let log = lines.joined(separator: "\n")
        XCTAssertFalse(log.contains(secret), log)
        XCTAssertTrue(outputLines(lines).contains("****"), log)
        XCTAssertTrue(outputLines(lines).contains("env:****"), log)
        XCTAssertNil(try file("tmp/x", in: result))
        // Every file of the store: blobs (layers gunzipped, configs with history), cache records,
        // snapshots, state.
        XCTAssertEqual(try filesContaining(Array(secret.utf8), under: storeRoot(service)), [])
        for entry in result.config.history { XCTAssertFalse((entry.createdBy ?? "").contains(secret)) }
        // The keyed-hash key of the store is private to root.
        var info = stat()
        XCTAssertEqual(stat(service.store.location.stateDirectory.appendingPathComponent("secret-key").path, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o600)

        // Contrast: the same value as a build arg, in another store.
        let otherStore = try ContentStore(root: root.appendingPathComponent("store-args"))
        let other = ImageService(store: otherStore, registry: registry, progress: SilentProgress())
        _ = try await ImageLoaderHelper.loadBusybox(into: other)
        let argDockerfile = """
        FROM \(base)
        ARG SECRET_TOKEN
        RUN test -n "$SECRET_TOKEN"
        """
        let (argResult, _) = try await build(argDockerfile, configure: { $0.buildArgs["SECRET_TOKEN"] = secret }, service: other)
        XCTAssertTrue(argResult.config.history.contains { ($0.createdBy ?? "").contains(secret) })
        XCTAssertFalse(try filesContaining(Array(secret.utf8), under: otherStore.location.root).isEmpty)

        let checkDir = root.appendingPathComponent("check")
        try FileManager.default.createDirectory(at: checkDir, withIntermediateDirectories: true)
        try Data(argDockerfile.utf8).write(to: checkDir.appendingPathComponent("Dockerfile"))
        let check = try KilnProcess.run(["check", checkDir.path])
        XCTAssertTrue((check.stdout + check.stderr).contains("SecretsUsedInArgOrEnv"), check.stdout + check.stderr)
        try Data(dockerfile.utf8).write(to: checkDir.appendingPathComponent("Dockerfile"))
        let clean = try KilnProcess.run(["check", checkDir.path])
        XCTAssertFalse((clean.stdout + clean.stderr).contains("SecretsUsedInArgOrEnv"), clean.stdout + clean.stderr)
    }

    // While a RUN with an `env=` secret runs, the OCI bundle holding its config.json lives on a
    // private tmpfs: no file in $TMPDIR or in the store holds the value, even mid-build.
    func testEnvSecretIsNotOnDiskWhileTheStepRuns() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        let secret = Array("kiln-env-\(UUID().uuidString)".utf8)
        let tmp = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        let watched = [URL(fileURLWithPath: tmp), storeRoot(service)]
        let scanner = Task { () -> [String] in
            var hits: [String] = []
            while !Task.isCancelled && hits.isEmpty {
                for dir in watched {
                    guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { continue }
                    for name in names where name.hasPrefix("kiln-bundle") || dir != watched[0] {
                        hits += (try? SecretMountTests.filesContaining(secret, under: dir.appendingPathComponent(name))) ?? []
                    }
                }
                try? await Task.sleep(nanoseconds: 50_000_000)
            }
            return hits
        }
        let dockerfile = "FROM \(base)\nRUN --mount=type=secret,id=e,env=E sh -c 'sleep 1; test -n \"$E\"'\n"
        _ = try await build(dockerfile) { $0.secrets["e"] = secret }
        scanner.cancel()
        let hits = await scanner.value
        XCTAssertEqual(hits, [])
    }

    // kiln's own rule (the issue): a keyed hash of the value is part of the cache key, so a changed
    // secret re-runs the step (BuildKit would reuse the old layer); unchanged, it is CACHED.
    func testChangedSecretRerunsUnchangedIsCached() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        let dockerfile = "FROM \(base)\nRUN --mount=type=secret,id=s wc -c < /run/secrets/s\n"
        let (_, first) = try await build(dockerfile) { $0.secrets["s"] = Array("first-value".utf8) }
        XCTAssertFalse(first.contains { $0.hasSuffix(" CACHED") }, first.joined(separator: "\n"))
        let (_, same) = try await build(dockerfile) { $0.secrets["s"] = Array("first-value".utf8) }
        XCTAssertTrue(same.contains { $0.hasSuffix(" CACHED") }, same.joined(separator: "\n"))
        let (_, changed) = try await build(dockerfile) { $0.secrets["s"] = Array("second-value-longer".utf8) }
        XCTAssertFalse(changed.contains { $0.hasSuffix(" CACHED") }, changed.joined(separator: "\n"))
        XCTAssertTrue(outputLines(changed).contains("19"), changed.joined(separator: "\n"))
        // No cache record names either value.
        XCTAssertEqual(try filesContaining(Array("first-value".utf8), under: storeRoot(service)), [])
    }

    // Dockerfile reference (RUN --mount=type=secret): target defaults to /run/secrets/<id>, mode
    // 0400, uid/gid 0; `env=` exposes it as a variable (then no file unless target is given —
    // the empty mount point an earlier step left, as Docker 20.10 leaves --mount targets, stays empty);
    // a missing secret is skipped unless `required=true`, which fails.
    func testSecretOptions() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        let dockerfile = """
        FROM \(base)
        RUN --mount=type=secret,id=s stat -c 'default %a %u %g' /run/secrets/s
        RUN --mount=type=secret,id=s,target=/etc/app.key,mode=0440,uid=1000,gid=1001 stat -c 'custom %a %u %g' /etc/app.key
        RUN --mount=type=secret,source=s,env=VALUE sh -c 'test ! -s /run/secrets/s && echo "len ${#VALUE}"'
        RUN --mount=type=secret,id=missing sh -c 'test ! -s /run/secrets/missing && echo skipped'
        RUN --mount=type=secret,id=group/leaf wc -c /run/secrets/leaf
        """
        let (_, lines) = try await build(dockerfile) {
            $0.secrets["s"] = Array("abcdef".utf8)
            $0.secrets["group/leaf"] = Array("xyz".utf8)
        }
        let out = outputLines(lines)
        XCTAssertTrue(out.contains("default 400 0 0"), out.joined(separator: "\n"))
        XCTAssertTrue(out.contains("custom 440 1000 1001"), out.joined(separator: "\n"))
        XCTAssertTrue(out.contains("len 6"), out.joined(separator: "\n"))
        XCTAssertTrue(out.contains("skipped"), out.joined(separator: "\n"))
        // BuildKit dispatchSecret: the default target is /run/secrets/ + path.Base(id).
        XCTAssertTrue(out.contains("3 /run/secrets/leaf"), out.joined(separator: "\n"))

        let error = try await buildError("FROM \(base)\nRUN --mount=type=secret,id=missing,required=true true\n")
        XCTAssertEqual(error.range?.start.line, 2)
        XCTAssertTrue(error.message.contains("secret missing: not found"), error.message)
    }
}

/// Loading the busybox fixture into another service.
enum ImageLoaderHelper {
    static func loadBusybox(into service: ImageService) async throws -> String {
        let fixture = Vectors.shared.appendingPathComponent("fixtures/busybox").path
        let images = try await ImageLoader(store: service.store).load(from: fixture)
        let reference = try ImageReference(parsing: "kiln-test/busybox:latest")
        try await service.store.tag(reference, images[0].manifestDescriptor)
        return reference.description
    }
}
