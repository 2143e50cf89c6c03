import Audit
import Foundation
import ImageSpec
import TestVectors
import XCTest

/// `kiln build --sbom --provenance` end to end, against a real registry (shared/tools/local-registry):
/// the pushed tag is an index laid out as BuildKit lays out attestations (read back with skopeo), the
/// SBOM lists the image's packages, the provenance names the base image by its registry digest and
/// holds no secret value, and the image pulled back into another store runs.
final class BuildAttestationTests: AuditTestCase {
    var port = 0
    var registry: String { "127.0.0.1:\(port)" }

    override func setUpWithError() throws {
        try super.setUpWithError()
        try requireRoot()
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/skopeo") else { throw XCTSkip("needs skopeo") }
        port = Int.random(in: 20000..<40000)
        let started = try DebianBaseTests.sh("KILN_TEST_TMP=\(root.path) \(Self.tools)/local-registry start \(port) >/dev/null 2>&1")
        guard started.status == 0 else { throw XCTSkip("no local registry: \(started.output)") }
    }

    override func tearDownWithError() throws {
        if port != 0 { _ = try? DebianBaseTests.sh("KILN_TEST_TMP=\(root.path) \(Self.tools)/local-registry stop \(port) >/dev/null 2>&1") }
        try super.tearDownWithError()
    }

    static var tools: String { Vectors.shared.appendingPathComponent("tools").path }

    func testSBOMAndProvenancePushedPulledAndRun() async throws {
        let token = CraftedImageTests.token
        let secretValue = "s3cr3t-" + "fr0m-the-secret-mount-0123456789"
        // The base comes from the registry, so the provenance can pin it by the registry's digest.
        let busybox = try await loadBusybox()
        try kiln(["tag", busybox, "\(registry)/base/busybox:1"])
        try kiln(["push", "-q", "\(registry)/base/busybox:1"])
        let baseDigest = try skopeoDigest("\(registry)/base/busybox:1")

        let context = root.appendingPathComponent("ctx")
        try FileManager.default.createDirectory(at: context, withIntermediateDirectories: true)
        let dockerfile = """
            FROM \(registry)/base/busybox:1
            ARG API_TOKEN
            ARG VERSION
            COPY status /var/lib/dpkg/status
            RUN --mount=type=secret,id=mysecret test "$(cat /run/secrets/mysecret)" = "\(secretValue)" && test -n "$API_TOKEN" && echo "$VERSION" > /version
            """
        try dockerfile.write(to: context.appendingPathComponent("Dockerfile"), atomically: true, encoding: .utf8)
        try "Package: hello\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.10-3\n\nPackage: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1:1.2.13.dfsg-1\n"
            .write(to: context.appendingPathComponent("status"), atomically: true, encoding: .utf8)
        let secretFile = root.appendingPathComponent("secret.txt")
        try secretValue.write(to: secretFile, atomically: true, encoding: .utf8)
        let ociOut = root.appendingPathComponent("out-oci.tar").path
        let app = "\(registry)/app/attested:1"
        try kiln(["build", "-q", "--network", "none", "--sbom=true", "--provenance=mode=max",
                  "--build-arg", "API_TOKEN=\(token)", "--build-arg", "VERSION=1.2.3", "--secret", "id=mysecret,src=\(secretFile.path)",
                  "-t", app, "-o", "type=oci,dest=\(ociOut)", "--push", context.path])

        // The index in the registry, as skopeo reads it.
        let indexText = try skopeo(["inspect", "--raw", "docker://\(app)"])
        let index = try CanonicalJSON.decode(Index.self, from: Data(indexText.utf8))
        XCTAssertEqual(index.mediaType, .ociIndex)
        XCTAssertEqual(index.manifests.count, 2, indexText)
        let image = index.manifests[0], attestation = index.manifests[1]
        XCTAssertEqual(image.platform, Platform.host)
        XCTAssertNil(image.annotations)
        XCTAssertEqual(attestation.platform?.description, "unknown/unknown")
        XCTAssertEqual(attestation.annotations?["vnd.docker.reference.type"], "attestation-manifest")
        XCTAssertEqual(attestation.annotations?["vnd.docker.reference.digest"], image.digest.description)

        let attestationManifest = try CanonicalJSON.decode(Manifest.self, from: Data(try skopeo(["inspect", "--raw", "docker://\(registry)/app/attested@\(attestation.digest)"]).utf8))
        XCTAssertEqual(attestationManifest.layers.map(\.mediaType.description), ["application/vnd.in-toto+json", "application/vnd.in-toto+json"])
        XCTAssertEqual(attestationManifest.layers.map { $0.annotations?["in-toto.io/predicate-type"] ?? "" },
                       ["https://spdx.dev/Document", "https://slsa.dev/provenance/v0.2"])
        let sbomBytes = try blob("app/attested", attestationManifest.layers[0].digest)
        let provenanceBytes = try blob("app/attested", attestationManifest.layers[1].digest)

        // SBOM: an in-toto statement about the image manifest, whose SPDX document lists the packages.
        let sbom = try XCTUnwrap(JSONSerialization.jsonObject(with: sbomBytes) as? [String: Any])
        XCTAssertEqual(sbom["_type"] as? String, "https://in-toto.io/Statement/v0.1")
        XCTAssertEqual(sbom["predicateType"] as? String, "https://spdx.dev/Document")
        let subjects = try XCTUnwrap(sbom["subject"] as? [[String: Any]])
        XCTAssertEqual(subjects.map { $0["name"] as? String }, ["pkg:docker/\(registry)/app/attested@1?platform=\(Platform.host.description.replacingOccurrences(of: "/", with: "%2F"))"])
        XCTAssertEqual(subjects.map { ($0["digest"] as? [String: String])?["sha256"] }, [image.digest.hex])
        let spdx = try XCTUnwrap(sbom["predicate"] as? [String: Any])
        XCTAssertEqual(spdx["spdxVersion"] as? String, "SPDX-2.3")
        let names = (spdx["packages"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
        XCTAssertTrue(names.contains("hello") && names.contains("zlib1g"), "\(names)")

        // Provenance: the base image pinned by the registry's digest, the Dockerfile's digest, the
        // build args without the secret, the secret's id only.
        let provenanceText = String(decoding: provenanceBytes, as: UTF8.self)
        XCTAssertFalse(provenanceText.contains(token), "the ARG secret is in the provenance")
        XCTAssertFalse(provenanceText.contains(secretValue), "the --secret value is in the provenance")
        let provenance = try XCTUnwrap(JSONSerialization.jsonObject(with: provenanceBytes) as? [String: Any])
        let predicate = try XCTUnwrap(provenance["predicate"] as? [String: Any])
        let materials = try XCTUnwrap(predicate["materials"] as? [[String: Any]])
        XCTAssertEqual(materials.count, 1, "\(materials)")
        XCTAssertEqual(materials.first?["uri"] as? String, "pkg:docker/\(registry)/base/busybox@1?platform=\(Platform.host.description.replacingOccurrences(of: "/", with: "%2F"))")
        XCTAssertEqual((materials.first?["digest"] as? [String: String])?["sha256"], baseDigest.hex)
        let invocation = try XCTUnwrap(predicate["invocation"] as? [String: Any])
        XCTAssertEqual(((invocation["configSource"] as? [String: Any])?["digest"] as? [String: String])?["sha256"], Digest.sha256(of: Data(dockerfile.utf8)).hex)
        let parameters = try XCTUnwrap(invocation["parameters"] as? [String: Any])
        let args = try XCTUnwrap(parameters["args"] as? [String: String])
        XCTAssertEqual(args["build-arg:VERSION"], "1.2.3")
        XCTAssertEqual(args["build-arg:API_TOKEN"], "<redacted by kiln>")
        XCTAssertEqual((parameters["secrets"] as? [[String: Any]])?.compactMap { $0["id"] as? String }, ["mysecret"])
        XCTAssertTrue(((predicate["builder"] as? [String: Any])?["id"] as? String)?.hasPrefix("pkg:generic/kiln@") == true)

        // Pulled back into another store, the host's image runs; the index is what the tag names.
        let other = root.appendingPathComponent("other-store").path
        let pulled = try KilnProcess.run(["pull", "--root", other, app])
        XCTAssertEqual(pulled.status, 0, pulled.stderr)
        let ran = try KilnProcess.run(["run", "--root", other, "--rm", "--network", "none", app, "cat", "/version"])
        XCTAssertEqual(ran.status, 0, ran.stderr)
        XCTAssertEqual(ran.stdout, "1.2.3\n")
        let indexDigest = try skopeoDigest(app)
        XCTAssertTrue(pulled.stdout.contains("Digest: \(indexDigest)"), pulled.stdout)

        // In the building store: images/inspect/run see the host image; audit reports the attached SBOM.
        let images = try kiln(["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"]).stdout
        XCTAssertTrue(images.contains("\(registry)/app/attested:1"), images)
        let inspected = try kiln(["inspect", "--format", "{{.Architecture}}", app]).stdout
        XCTAssertEqual(inspected.trimmingCharacters(in: .whitespacesAndNewlines), Platform.host.architecture)
        XCTAssertEqual(try kiln(["run", "--rm", "--network", "none", app, "cat", "/version"]).stdout, "1.2.3\n")
        let report = try audit(app)
        let attached = try XCTUnwrap(report.attestations)
        XCTAssertEqual(attached.map(\.predicateType), ["https://spdx.dev/Document", "https://slsa.dev/provenance/v0.2"])
        XCTAssertEqual(attached.first?.packages, 2)
        XCTAssertTrue(try kiln(["audit", app]).stdout.contains("Attached SBOM (SPDX): 2 packages"))

        // The OCI output holds the same index.
        let layout = root.appendingPathComponent("oci-layout")
        try FileManager.default.createDirectory(at: layout, withIntermediateDirectories: true)
        XCTAssertEqual(try DebianBaseTests.sh("tar -xf \(ociOut) -C \(layout.path)").status, 0)
        let top = try CanonicalJSON.decode(Index.self, from: Data(contentsOf: layout.appendingPathComponent("index.json")))
        XCTAssertEqual(top.manifests.first?.digest, try skopeoDigest(app))
        let stored = try CanonicalJSON.decode(Index.self, from: Data(contentsOf: layout.appendingPathComponent("blobs/sha256/\(top.manifests[0].digest.hex)")))
        XCTAssertEqual(stored, index)
        // And `kiln save --format oci` writes it too, attestation manifest included; skopeo reads it.
        let saved = root.appendingPathComponent("saved.tar").path
        try kiln(["save", "--format", "oci", "-o", saved, app])
        XCTAssertTrue(try DebianBaseTests.sh("tar -tf \(saved)").output.contains("blobs/sha256/\(attestation.digest.hex)"))
        _ = try skopeo(["inspect", "--raw", "oci-archive:\(saved)"])
    }

    func testPlainBuildStaysAManifestAndBadFlagsFail() async throws {
        let busybox = try await loadBusybox()
        try build("audit-test/plain", "FROM \(busybox)\nCOPY f /f\n", files: ["f": "x"])
        let report = try audit("audit-test/plain")
        XCTAssertNil(report.attestations)
        let context = root.appendingPathComponent("ctx-bad")
        try FileManager.default.createDirectory(at: context, withIntermediateDirectories: true)
        try "FROM \(busybox)\n".write(to: context.appendingPathComponent("Dockerfile"), atomically: true, encoding: .utf8)
        let bad = try kiln(["build", "--attest", "type=sbom,generator=docker/buildkit-syft-scanner", context.path], expect: 1)
        XCTAssertTrue(bad.stderr.contains("a generator image"), bad.stderr)
    }

    // MARK: - registry helpers

    func skopeo(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let quoted = arguments.map { "'\($0)'" }.joined(separator: " ")
        let result = try DebianBaseTests.sh("skopeo \(quoted.replacingOccurrences(of: "'inspect'", with: "inspect --tls-verify=false"))")
        XCTAssertEqual(result.status, 0, "skopeo \(arguments): \(result.output)", file: file, line: line)
        return result.output
    }

    /// The digest the registry serves for `reference` (of the index or manifest).
    func skopeoDigest(_ reference: String) throws -> Digest {
        let raw = try skopeo(["inspect", "--raw", "docker://\(reference)"])
        return Digest.sha256(of: Data(raw.utf8))
    }

    func blob(_ repository: String, _ digest: Digest) throws -> Data {
        let url = URL(string: "http://\(registry)/v2/\(repository)/blobs/\(digest)")!
        let result = try DebianBaseTests.sh("curl -fsS '\(url)'")
        XCTAssertEqual(result.status, 0, result.output)
        let data = Data(result.output.utf8)
        XCTAssertEqual(Digest.sha256(of: data), digest)
        return data
    }
}
