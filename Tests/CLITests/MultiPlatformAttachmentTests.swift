import Foundation
import TestVectors
import XCTest

/// Issue 19 with `--cache-to` and `--sbom/--provenance`: a `kiln build --platform linux/amd64,linux/arm64`
/// exports one build cache holding both platforms' records (a fresh store importing it rebuilds both
/// platforms from it, running no step), and attaches one attestation manifest per platform's image to
/// the index it makes (BuildKit's layout). Base: shared/fixtures/busybox-multi in a local registry;
/// the arm64 RUN steps run under QEMU (`kiln setup-binfmt`).
final class MultiPlatformAttachmentTests: XCTestCase, MultiPlatformSuite {
    var scratch: URL!

    override func setUpWithError() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root (RUN steps, binfmt_misc)") }
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-multi-attach-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let setup = try run(["setup-binfmt"])
        XCTAssertEqual(setup.status, 0, "kiln setup-binfmt: \(setup.stdout)\(setup.stderr)")
    }

    override func tearDownWithError() throws {
        if let scratch { try? FileManager.default.removeItem(at: scratch) }
    }

    override class func tearDown() {
        stopRegistry()
        super.tearDown()
    }

    func testOneCacheForBothPlatformsRebuildsBothWithoutRunningAStep() throws {
        let context = try dockerfile("""
            FROM 127.0.0.1:\(try registry())/fixture/busybox-multi:latest
            RUN uname -m > /arch
            RUN echo "built for $(cat /arch)" > /built
            """)
        let cache = scratch.appendingPathComponent("cache").path
        let first = try run(["build", "--root", scratch.appendingPathComponent("one").path, "--progress", "plain",
                             "--platform", "linux/amd64,linux/arm64", "--build-arg", "SOURCE_DATE_EPOCH=1700000000",
                             "-o", "type=oci,dest=\(scratch.appendingPathComponent("one.tar").path)",
                             "--cache-to", "type=local,dest=\(cache),mode=max", context.path])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertFalse(first.stderr.contains("not supported with several platforms"), first.stderr)

        // One cache manifest (the layout's tag `latest`) whose config has every RUN step of both platforms.
        let layout = URL(fileURLWithPath: cache)
        let top = try json(String(contentsOf: layout.appendingPathComponent("index.json"), encoding: .utf8))
        let tops = try XCTUnwrap(top["manifests"] as? [[String: Any]])
        XCTAssertEqual(tops.count, 1, "one cache manifest: \(tops)")
        let cacheManifest = try json(blob(layout, tops.first?["digest"] as? String))
        let configEntry = try XCTUnwrap((cacheManifest["manifests"] as? [[String: Any]])?.first {
            $0["mediaType"] as? String == "application/vnd.buildkit.cacheconfig.v0" })
        let config = try json(blob(layout, configEntry["digest"] as? String))
        let records = try XCTUnwrap(config["records"] as? [[String: Any]])
        let layers = try XCTUnwrap(config["layers"] as? [[String: Any]])
        XCTAssertEqual(records.count, 4, "two RUN steps on each of two platforms: \(records)")
        XCTAssertEqual(Set(layers.compactMap { $0["blob"] as? String }).count, 4, "four distinct layers: \(layers)")

        // A fresh store with the cache: both platforms come out of it, nothing runs, same images.
        let second = try run(["build", "--root", scratch.appendingPathComponent("two").path, "--progress", "plain",
                              "--platform", "linux/amd64,linux/arm64", "--build-arg", "SOURCE_DATE_EPOCH=1700000000",
                              "-o", "type=oci,dest=\(scratch.appendingPathComponent("two.tar").path)",
                              "--cache-from", "type=local,src=\(cache)", context.path])
        XCTAssertEqual(second.status, 0, second.stderr)
        let lines = second.stderr.split(separator: "\n").map(String.init)
        for platform in ["linux/amd64", "linux/arm64"] {
            for step in ["2/3] RUN uname -m > /arch", "3/3] RUN echo \"built for"] {
                // plain progress: `#N [linux/arm64 2/3] RUN …`, then `#N CACHED`
                let number = lines.first { $0.contains("[\(platform) \(step)") }?.split(separator: " ").first.map(String.init)
                XCTAssertNotNil(number, "\(platform) \(step) in the log:\n\(second.stderr)")
                XCTAssertTrue(lines.contains("\(number ?? "#?") CACHED"), "\(platform) \(step) taken from the imported cache:\n\(second.stderr)")
            }
        }
        XCTAssertEqual(try imageIDs("two.tar"), try imageIDs("one.tar"), "the same image for each platform")
        XCTAssertEqual(try imageIDs("one.tar").keys.sorted(), ["amd64", "arm64"])
    }

    /// Each platform's image ID (config digest) in the index of an `-o type=oci` archive.
    private func imageIDs(_ archive: String) throws -> [String: String] {
        let unpacked = scratch.appendingPathComponent("unpacked-\(archive)")
        try FileManager.default.createDirectory(at: unpacked, withIntermediateDirectories: true)
        XCTAssertEqual(try HostileInputTests.runProcess("/bin/tar", ["-xf", scratch.appendingPathComponent(archive).path, "-C", unpacked.path]).status, 0)
        let top = try json(String(contentsOf: unpacked.appendingPathComponent("index.json"), encoding: .utf8))
        let index = try json(blob(unpacked, (top["manifests"] as? [[String: Any]])?.first?["digest"] as? String))
        var ids: [String: String] = [:]
        for entry in try XCTUnwrap(index["manifests"] as? [[String: Any]]) {
            let arch = try XCTUnwrap((entry["platform"] as? [String: Any])?["architecture"] as? String)
            ids[arch] = (try json(blob(unpacked, entry["digest"] as? String))["config"] as? [String: Any])?["digest"] as? String
        }
        return ids
    }

    func testInlineCacheInEachPlatformsImage() throws {
        let context = try dockerfile("""
            FROM 127.0.0.1:\(try registry())/fixture/busybox-multi:latest
            RUN uname -m > /arch
            """)
        let archive = scratch.appendingPathComponent("inline.tar")
        let build = try run(["build", "--root", scratch.appendingPathComponent("store").path, "-q", "--platform", "linux/amd64,linux/arm64",
                             "--cache-to", "type=inline", "-o", "type=oci,dest=\(archive.path)", context.path])
        XCTAssertEqual(build.status, 0, build.stderr)
        let unpacked = scratch.appendingPathComponent("inline")
        try FileManager.default.createDirectory(at: unpacked, withIntermediateDirectories: true)
        XCTAssertEqual(try HostileInputTests.runProcess("/bin/tar", ["-xf", archive.path, "-C", unpacked.path]).status, 0)
        let top = try json(String(contentsOf: unpacked.appendingPathComponent("index.json"), encoding: .utf8))
        let index = try json(blob(unpacked, (top["manifests"] as? [[String: Any]])?.first?["digest"] as? String))
        let entries = try XCTUnwrap(index["manifests"] as? [[String: Any]])
        XCTAssertEqual(entries.count, 2)
        for entry in entries {
            let manifest = try json(blob(unpacked, entry["digest"] as? String))
            let config = try json(blob(unpacked, (manifest["config"] as? [String: Any])?["digest"] as? String))
            let inline = try XCTUnwrap(config["moby.buildkit.cache.v0"] as? String, "inline cache in the image of \(entry["platform"] ?? "?")")
            // a JSON array of cache records, base64
            let records = try JSONSerialization.jsonObject(with: try XCTUnwrap(Data(base64Encoded: inline))) as? [[String: Any]]
            // BuildKit's layout (issue 18): records for the base image's chain, then the RUN step's,
            // the only one naming a layer of this image.
            XCTAssertEqual(records?.filter { $0["layers"] != nil }.count, 1, "the RUN step of this platform: \(inline)")
        }
    }

    func testEachPlatformGetsItsAttestationManifest() throws {
        let context = try dockerfile("""
            FROM 127.0.0.1:\(try registry())/fixture/busybox-multi:latest
            RUN uname -m > /arch
            """)
        let store = scratch.appendingPathComponent("store").path
        let archive = scratch.appendingPathComponent("attested.tar").path
        let name = "127.0.0.1:\(try registry())/kiln-multi-attested:1"
        let build = try run(["build", "--root", store, "-q", "--platform", "linux/amd64,linux/arm64", "--sbom=true",
                             "--provenance=mode=min", "-t", name, "--push", "-o", "type=oci,dest=\(archive)", context.path])
        XCTAssertEqual(build.status, 0, build.stderr)
        XCTAssertFalse(build.stderr.contains("not supported with several platforms"), build.stderr)

        let unpacked = scratch.appendingPathComponent("oci")
        try FileManager.default.createDirectory(at: unpacked, withIntermediateDirectories: true)
        XCTAssertEqual(try HostileInputTests.runProcess("/bin/tar", ["-xf", archive, "-C", unpacked.path]).status, 0)
        let top = try json(String(contentsOf: unpacked.appendingPathComponent("index.json"), encoding: .utf8))
        let index = try json(blob(unpacked, (top["manifests"] as? [[String: Any]])?.first?["digest"] as? String))
        let entries = try XCTUnwrap(index["manifests"] as? [[String: Any]])
        func platform(_ entry: [String: Any]) -> String {
            let p = entry["platform"] as? [String: Any]
            return "\(p?["os"] as? String ?? "?")/\(p?["architecture"] as? String ?? "?")"
        }
        XCTAssertEqual(entries.map(platform), ["linux/amd64", "linux/arm64", "unknown/unknown", "unknown/unknown"], "\(entries)")
        let images = Array(entries.prefix(2))
        for (image, attestation) in zip(images, entries.suffix(2)) {
            let annotations = try XCTUnwrap(attestation["annotations"] as? [String: String])
            XCTAssertEqual(annotations["vnd.docker.reference.type"], "attestation-manifest")
            XCTAssertEqual(annotations["vnd.docker.reference.digest"], image["digest"] as? String, "the attestation of \(platform(image))")
            let manifest = try json(blob(unpacked, attestation["digest"] as? String))
            let layers = try XCTUnwrap(manifest["layers"] as? [[String: Any]])
            XCTAssertEqual(layers.compactMap { ($0["annotations"] as? [String: String])?["in-toto.io/predicate-type"] },
                           ["https://spdx.dev/Document", "https://slsa.dev/provenance/v0.2"])
            for layer in layers {
                let statement = try json(blob(unpacked, layer["digest"] as? String))
                let subjects = try XCTUnwrap(statement["subject"] as? [[String: Any]])
                let hex = (image["digest"] as? String)?.split(separator: ":").last.map(String.init)
                XCTAssertFalse(subjects.isEmpty)
                for subject in subjects {
                    XCTAssertEqual((subject["digest"] as? [String: String])?["sha256"], hex, "statement about \(platform(image))")
                }
                if let predicate = statement["predicate"] as? [String: Any], let invocation = predicate["invocation"] as? [String: Any],
                   let params = (invocation["environment"] as? [String: Any]) {
                    XCTAssertEqual(params["platform"] as? String, platform(image), "provenance names the image's platform")
                }
            }
        }

        // The registry has the same index, and each platform's image still runs from the tag.
        let pushed = try HostileInputTests.runProcess("/usr/bin/curl", ["-sf", "-H", "Accept: application/vnd.oci.image.index.v1+json",
                                                                        "http://127.0.0.1:\(try registry())/v2/kiln-multi-attested/manifests/1"])
        XCTAssertEqual(pushed.status, 0, pushed.stderr)
        XCTAssertEqual((try json(pushed.stdout)["manifests"] as? [[String: Any]])?.count, 4)
        for (platform, machine) in [("linux/amd64", "x86_64"), ("linux/arm64", "aarch64")] {
            let shown = try run(["run", "--rm", "--root", store, "--platform", platform, name, "cat", "/arch"])
            XCTAssertEqual(shown.status, 0, shown.stderr)
            XCTAssertEqual(shown.stdout, "\(machine)\n")
        }
    }

    private func dockerfile(_ text: String) throws -> URL {
        let context = scratch.appendingPathComponent("ctx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: context, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: context.appendingPathComponent("Dockerfile"))
        return context
    }
}
