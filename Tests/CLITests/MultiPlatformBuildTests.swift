import Foundation
import TestVectors
import XCTest

/// Issue 19 through the kiln binary: `kiln build --platform linux/amd64,linux/arm64` of a RUN-using
/// Dockerfile over shared/fixtures/busybox-multi (amd64 + arm64, pushed to a local registry) gives one
/// OCI image index — in the store, in the registry (`--push`) and in the `-o type=oci` archive —
/// whose arm64 image ran its RUN under QEMU (`uname -m` = aarch64), whose build-platform stage
/// ran once, and whose images are the single-platform builds' images (same manifest and image ID,
/// SOURCE_DATE_EPOCH set so that two stores can agree).
final class MultiPlatformBuildTests: XCTestCase, MultiPlatformSuite {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-multi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    override class func tearDown() {
        stopRegistry()
        super.tearDown()
    }

    func testTwoPlatformBuildMakesOneIndexOfTheSingleBuildsImages() throws {
        // The emulator: registered by `kiln setup-binfmt` (root) from Debian's qemu-user-static.
        let setup = try run(["setup-binfmt"])
        XCTAssertEqual(setup.status, 0, "kiln setup-binfmt: \(setup.stdout)\(setup.stderr)")
        let port = try registry()
        let base = "127.0.0.1:\(port)/fixture/busybox-multi:latest"
        let context = scratch.appendingPathComponent("ctx")
        try FileManager.default.createDirectory(at: context, withIntermediateDirectories: true)
        try Data("""
            FROM --platform=$BUILDPLATFORM \(base) AS tool
            RUN echo "tool built on $(uname -m)" > /tool
            FROM \(base)
            ARG TARGETPLATFORM
            ARG BUILDPLATFORM
            ARG TARGETARCH
            COPY --from=tool /tool /tool
            RUN uname -m > /arch && echo "$TARGETPLATFORM $TARGETARCH from $BUILDPLATFORM" > /platforms
            """.utf8).write(to: context.appendingPathComponent("Dockerfile"))
        let store = scratch.appendingPathComponent("store").path
        let name = "127.0.0.1:\(port)/kiln-multi:test"
        let archive = scratch.appendingPathComponent("multi.tar").path
        let build = try run(["build", "--root", store, "--progress", "plain", "--platform", "linux/amd64,linux/arm64",
                             "--build-arg", "SOURCE_DATE_EPOCH=1700000000", "-t", name, "--push",
                             "-o", "type=oci,dest=\(archive)", context.path])
        XCTAssertEqual(build.status, 0, build.stderr)
        let log = build.stderr
        XCTAssertEqual(log.components(separatedBy: "RUN echo \"tool built on").count - 1, 1,
                       "the build-platform stage is one stage for both platforms: \(log)")
        XCTAssertTrue(log.contains("[linux/arm64 stage-1 3/3] RUN uname -m"), log)

        // The index in the store.
        let inspect = try run(["manifest", "inspect", "--root", store, name])
        XCTAssertEqual(inspect.status, 0, inspect.stderr)
        let index = try json(inspect.stdout)
        XCTAssertEqual(index["mediaType"] as? String, "application/vnd.oci.image.index.v1+json")
        let entries = try XCTUnwrap(index["manifests"] as? [[String: Any]])
        XCTAssertEqual(entries.compactMap { ($0["platform"] as? [String: Any])?["architecture"] as? String }, ["amd64", "arm64"])

        // `kiln images`: one entry for the tag, with its platforms in {{.Platform}}; the table stays Docker's.
        let listed = try run(["images", "--root", store, "--format", "{{.Repository}}:{{.Tag}} {{.Platform}}"])
        XCTAssertEqual(listed.status, 0, listed.stderr)
        XCTAssertEqual(listed.stdout.split(separator: "\n").filter { $0.contains("kiln-multi") },
                       ["\(name) linux/amd64,linux/arm64"])
        let table = try run(["images", "--root", store])
        XCTAssertEqual(table.stdout.split(separator: "\n").first.map(String.init)?.split(separator: " ").filter { !$0.isEmpty },
                       ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"])

        // `kiln inspect` of the tag: Docker's image document (host image) plus the index and its platforms.
        let inspected = try run(["inspect", "--root", store, name])
        XCTAssertEqual(inspected.status, 0, inspected.stderr)
        let document = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(inspected.stdout.utf8)) as? [[String: Any]])?.first)
        XCTAssertEqual(document["Architecture"] as? String, "amd64")
        let shownIndex = try XCTUnwrap(document["Index"] as? [String: Any], inspected.stdout)
        XCTAssertEqual(shownIndex["MediaType"] as? String, "application/vnd.oci.image.index.v1+json")
        XCTAssertEqual((shownIndex["Manifests"] as? [[String: Any]])?.compactMap { $0["Platform"] as? String }, ["linux/amd64", "linux/arm64"])
        let platformField = try run(["inspect", "--root", store, "--format", "{{range .Index.Manifests}}{{.Platform}} {{end}}", name])
        XCTAssertEqual(platformField.stdout, "linux/amd64 linux/arm64 \n", platformField.stderr)

        // `kiln check --platform`: base images in the store against the build's platforms.
        let checked = scratch.appendingPathComponent("check")
        try FileManager.default.createDirectory(at: checked, withIntermediateDirectories: true)
        try Data("FROM \(name)\nRUN true\nFROM --platform=linux/riscv64 \(name) AS other\n".utf8)
            .write(to: checked.appendingPathComponent("Dockerfile"))
        let lint = try run(["check", "--root", store, "--format", "json", "--platform", "linux/amd64,linux/arm64,linux/s390x", checked.path])
        let lintText = lint.stdout + lint.stderr
        XCTAssertTrue(lintText.contains("expected \\\"linux/s390x\\\"") || lintText.contains("expected \"linux/s390x\""), lintText)
        XCTAssertTrue(lintText.contains("linux/riscv64"), lintText)
        XCTAssertFalse(lintText.contains("expected \\\"linux/arm64\\\"") || lintText.contains("expected \"linux/arm64\""), lintText)
        XCTAssertEqual(lintText.components(separatedBy: "InvalidBaseImagePlatform").count - 1, 2, lintText)
        XCTAssertTrue(lintText.contains("FromPlatformFlagConstDisallowed"), lintText)
        let clean = try run(["check", "--root", store, "--platform", "linux/amd64,linux/arm64", checked.path])
        XCTAssertEqual((clean.stdout + clean.stderr).components(separatedBy: "InvalidBaseImagePlatform").count - 1, 1,
                       "only the riscv64 stage: \(clean.stdout)\(clean.stderr)")

        // Each image, run on its platform (arm64 through QEMU).
        for (platform, machine, arch) in [("linux/amd64", "x86_64", "amd64"), ("linux/arm64", "aarch64", "arm64")] {
            let shown = try run(["run", "--rm", "--root", store, "--platform", platform, name, "cat", "/arch", "/platforms", "/tool"])
            XCTAssertEqual(shown.status, 0, shown.stderr)
            XCTAssertEqual(shown.stdout, "\(machine)\n\(platform) \(arch) from linux/amd64\ntool built on x86_64\n")
        }

        // The registry has the index (pushed with its images).
        let pushed = try HostileInputTests.runProcess("/usr/bin/curl", ["-sf", "-H", "Accept: application/vnd.oci.image.index.v1+json",
                                                                        "http://127.0.0.1:\(port)/v2/kiln-multi/manifests/test"])
        XCTAssertEqual(pushed.status, 0, pushed.stderr)
        let remote = try json(pushed.stdout)
        XCTAssertEqual(remote["mediaType"] as? String, "application/vnd.oci.image.index.v1+json")
        let remoteEntries = try XCTUnwrap(remote["manifests"] as? [[String: Any]])
        XCTAssertEqual(remoteEntries.count, 2)
        for entry in remoteEntries {
            let digest = try XCTUnwrap(entry["digest"] as? String)
            let manifest = try HostileInputTests.runProcess("/usr/bin/curl", ["-sf", "-o", "/dev/null", "-H", "Accept: application/vnd.oci.image.manifest.v1+json",
                                                                              "http://127.0.0.1:\(port)/v2/kiln-multi/manifests/\(digest)"])
            XCTAssertEqual(manifest.status, 0, "image \(digest) of the pushed index is in the registry")
        }

        // The OCI archive: index.json names the index, which lists both images.
        let unpacked = scratch.appendingPathComponent("oci")
        try FileManager.default.createDirectory(at: unpacked, withIntermediateDirectories: true)
        XCTAssertEqual(try HostileInputTests.runProcess("/bin/tar", ["-xf", archive, "-C", unpacked.path]).status, 0)
        let top = try json(String(contentsOf: unpacked.appendingPathComponent("index.json"), encoding: .utf8))
        let topEntry = try XCTUnwrap((top["manifests"] as? [[String: Any]])?.first)
        XCTAssertEqual(topEntry["mediaType"] as? String, "application/vnd.oci.image.index.v1+json")
        let archived = try json(blob(unpacked, topEntry["digest"] as? String))
        let archivedEntries = try XCTUnwrap(archived["manifests"] as? [[String: Any]])
        XCTAssertEqual(archivedEntries.count, 2)
        var imageIDs: [String: String] = [:]
        for entry in archivedEntries {
            let arch = try XCTUnwrap((entry["platform"] as? [String: Any])?["architecture"] as? String)
            let manifest = try json(blob(unpacked, entry["digest"] as? String))
            imageIDs[arch] = (manifest["config"] as? [String: Any])?["digest"] as? String
        }

        // Single-platform builds in another store make the same images.
        let single = scratch.appendingPathComponent("single").path
        for arch in ["amd64", "arm64"] {
            let iid = scratch.appendingPathComponent("iid-\(arch)").path
            let one = try run(["build", "--root", single, "-q", "--platform", "linux/\(arch)", "--build-arg", "SOURCE_DATE_EPOCH=1700000000",
                               "--iidfile", iid, context.path])
            XCTAssertEqual(one.status, 0, one.stderr)
            XCTAssertEqual(try String(contentsOfFile: iid, encoding: .utf8), imageIDs[arch], "linux/\(arch): the same image ID")
        }
    }

    /// A local base image of another platform, used as is for a host-platform build: the build goes
    /// on and warns as BuildKit does (InvalidBaseImagePlatform).
    func testBuildWarnsWhenTheBaseImageIsForAnotherPlatform() throws {
        let port = try registry()
        let base = "127.0.0.1:\(port)/fixture/busybox-multi:latest"
        let store = scratch.appendingPathComponent("store").path
        let pulled = try run(["pull", "--root", store, "--platform", "linux/arm64", base])
        XCTAssertEqual(pulled.status, 0, pulled.stderr)
        let context = scratch.appendingPathComponent("ctx")
        try FileManager.default.createDirectory(at: context, withIntermediateDirectories: true)
        try Data("FROM \(base)\nLABEL x=1\n".utf8).write(to: context.appendingPathComponent("Dockerfile"))
        let build = try run(["build", "--root", store, "--progress", "plain", "-t", "warned:1", context.path])
        XCTAssertEqual(build.status, 0, build.stderr)
        XCTAssertTrue(build.stderr.contains("WARNING: InvalidBaseImagePlatform: Base image \(base) was pulled with platform \"linux/arm64\", expected \"linux/amd64\" for current build (line 1)"), build.stderr)
        let native = try run(["build", "--root", store, "--progress", "plain", "--platform", "linux/arm64", "-t", "warned:2", context.path])
        XCTAssertEqual(native.status, 0, native.stderr)
        XCTAssertFalse(native.stderr.contains("InvalidBaseImagePlatform"), native.stderr)
        // `--platform` of the host's platform asks for that platform: the local arm64 image is not used
        // as is, the amd64 one is pulled (as Docker does).
        let host = try run(["build", "--root", store, "--progress", "plain", "--platform", "linux/amd64", "-t", "warned:3", context.path])
        XCTAssertEqual(host.status, 0, host.stderr)
        XCTAssertFalse(host.stderr.contains("InvalidBaseImagePlatform"), host.stderr)
        XCTAssertEqual(try run(["inspect", "--root", store, "--format", "{{.Architecture}}", "warned:3"]).stdout, "amd64\n")
    }
}
