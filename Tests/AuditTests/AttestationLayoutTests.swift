import Attestations
import Foundation
import ImageSpec
import XCTest

/// The pure parts of `kiln build --sbom/--provenance`: the flags as buildx spells them, BuildKit's
/// attestation layout in the index, and a provenance that never holds a secret value.
final class AttestationLayoutTests: XCTestCase {
    func testFlagSpellings() throws {
        XCTAssertEqual(try AttestationRequest(sbom: "true", provenance: nil, attest: []), AttestationRequest(sbom: true))
        XCTAssertEqual(try AttestationRequest(sbom: nil, provenance: "true", attest: []), AttestationRequest(provenance: .min))
        XCTAssertEqual(try AttestationRequest(sbom: nil, provenance: "mode=max", attest: []), AttestationRequest(provenance: .max))
        XCTAssertEqual(try AttestationRequest(sbom: "false", provenance: "false", attest: []), AttestationRequest())
        XCTAssertEqual(try AttestationRequest(sbom: nil, provenance: nil, attest: ["type=sbom", "type=provenance,mode=max"]),
                       AttestationRequest(sbom: true, provenance: .max))
        XCTAssertEqual(try AttestationRequest(sbom: nil, provenance: nil, attest: ["type=provenance"]), AttestationRequest(provenance: .min))
        // --attest comes after the shorthands and can turn one off.
        XCTAssertEqual(try AttestationRequest(sbom: "true", provenance: "true", attest: ["type=sbom,disabled=true"]),
                       AttestationRequest(provenance: .min))
        XCTAssertTrue(try AttestationRequest(sbom: nil, provenance: nil, attest: []).isEmpty)
        for (sbom, provenance, attest, expected) in [
            ("yes", nil, [], "--sbom=yes: expected true or false"),
            (nil, "mode=full", [], "unknown provenance mode \"full\""),
            (nil, nil, ["type=signature"], "unknown attestation type \"signature\""),
            (nil, nil, ["mode=max"], "(missing type=)"),
            (nil, nil, ["type=sbom,generator=docker/buildkit-syft-scanner"], "a generator image"),
            (nil, nil, ["type=provenance,builder-id=x"], "unknown key \"builder-id\""),
        ] as [(String?, String?, [String], String)] {
            XCTAssertThrowsError(try AttestationRequest(sbom: sbom, provenance: provenance, attest: attest)) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(error)")
            }
        }
    }

    func testIndexLayoutIsBuildKits() throws {
        let amd64 = try manifest("amd64", Platform(os: "linux", architecture: "amd64"))
        let arm64 = try manifest("arm64", Platform(os: "linux", architecture: "arm64", variant: "v8"))
        let sbom = try AttestationLayer(InTotoStatement(
            subject: [.init(name: "_", digest: amd64.digest)], predicateType: AttestationLayout.spdxPredicateType, predicate: ["spdxVersion": "SPDX-2.3"]))
        let provenance = AttestationLayer(predicateType: AttestationLayout.slsaProvenanceV02, statement: Data(#"{"_type":"x"}"#.utf8))
        let assembled = try AttestationIndex.assemble(
            images: [amd64, arm64], attestations: [amd64.digest: [sbom, provenance], arm64.digest: [provenance]])
        let index = assembled.index
        XCTAssertEqual(index.mediaType, .ociIndex)
        // The runnable manifests first, in order, then one attestation manifest per image.
        XCTAssertEqual(index.manifests.count, 4)
        XCTAssertEqual(Array(index.manifests.prefix(2)), [amd64, arm64])
        for (entry, image) in zip(index.manifests.suffix(2), [amd64, arm64]) {
            XCTAssertEqual(entry.mediaType, .ociManifest)
            XCTAssertEqual(entry.platform?.os, "unknown")
            XCTAssertEqual(entry.platform?.architecture, "unknown")
            XCTAssertEqual(entry.annotations, ["vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest": image.digest.description])
        }
        // A runtime never picks an attestation manifest.
        XCTAssertEqual(Platform.host.bestMatch(in: index.manifests)?.platform?.os, "linux")
        // The attestation manifest: statements as in-toto layers annotated with their predicate type.
        let blobs = Dictionary(assembled.blobs.map { ($0.descriptor.digest, $0.bytes) }, uniquingKeysWith: { a, _ in a })
        let attestation = try CanonicalJSON.decode(Manifest.self, from: XCTUnwrap(blobs[index.manifests[2].digest]))
        XCTAssertEqual(attestation.mediaType, .ociManifest)
        XCTAssertEqual(attestation.layers.map(\.mediaType.description), ["application/vnd.in-toto+json", "application/vnd.in-toto+json"])
        XCTAssertEqual(attestation.layers.map { $0.annotations?["in-toto.io/predicate-type"] }, ["https://spdx.dev/Document", "https://slsa.dev/provenance/v0.2"])
        XCTAssertEqual(blobs[attestation.layers[0].digest], sbom.statement)
        let config = try JSONSerialization.jsonObject(with: XCTUnwrap(blobs[attestation.config.digest])) as? [String: Any]
        XCTAssertEqual(config?["architecture"] as? String, "unknown")
        XCTAssertEqual(config?["os"] as? String, "unknown")
        // Every blob is what its descriptor says; the index descriptor matches its bytes.
        for blob in assembled.blobs { XCTAssertNoThrow(try blob.descriptor.verify(blob.bytes)) }
        XCTAssertNoThrow(try assembled.descriptor.verify(assembled.indexBytes))
        // The statement's own shape.
        let statement = try JSONSerialization.jsonObject(with: sbom.statement) as? [String: Any]
        XCTAssertEqual(statement?["_type"] as? String, "https://in-toto.io/Statement/v0.1")
        XCTAssertEqual(((statement?["subject"] as? [[String: Any]])?.first?["digest"] as? [String: String])?["sha256"], amd64.digest.hex)
    }

    func testAssemblyRefusesWhatIsNotAnImageManifest() throws {
        let image = try manifest("a", Platform(os: "linux", architecture: "amd64"))
        var noPlatform = image
        noPlatform.platform = nil
        XCTAssertThrowsError(try AttestationIndex.assemble(images: [noPlatform], attestations: [:])) { XCTAssertTrue("\($0)".contains("no platform"), "\($0)") }
        var index = image
        index.mediaType = .ociIndex
        XCTAssertThrowsError(try AttestationIndex.assemble(images: [index], attestations: [:])) { XCTAssertTrue("\($0)".contains("not an image manifest"), "\($0)") }
        let other = Descriptor(mediaType: .ociManifest, content: Data("other".utf8))
        XCTAssertThrowsError(try AttestationIndex.assemble(images: [image], attestations: [other.digest: []])) { XCTAssertTrue("\($0)".contains("not one of"), "\($0)") }
    }

    func testProvenanceHoldsNoSecretValue() throws {
        let token = "ghp_" + "kiLnAtt3stT0k3nN0tR3aLxYz0123456789ab"
        let dockerfile = Data("FROM busybox\nARG API_TOKEN\nARG DB_PASSWORD\nRUN true\n".utf8)
        let base = try ImageReference(parsing: "127.0.0.1:5000/base/busybox:1")
        let baseDigest = Digest.sha256(of: Data("base".utf8))
        let input = ProvenanceInput(
            mode: .max, kilnVersion: "9.9", dockerfileName: "Dockerfile", dockerfile: dockerfile,
            buildArgs: ["API_TOKEN": "short", "DB_PASSWORD": "hunter2hunter2", "HARMLESS": token, "VERSION": "1.2.3"],
            labels: ["org.example.vendor": "Example Corp", "note": "password=Sup3rS3cr3tV4lu3!x"],
            target: "final", platform: Platform.host, secretIDs: ["npmrc"], sshIDs: ["default"],
            materials: [.init(image: base, platform: try Platform(parsing: "linux/amd64"), digest: baseDigest)],
            startedOn: Date(timeIntervalSince1970: 0), finishedOn: Date(timeIntervalSince1970: 60))
        let predicate = ProvenancePredicate.predicate(input)
        let text = String(decoding: try CanonicalJSON.encode(predicate), as: UTF8.self)
        for secret in [token, "hunter2hunter2", "short", "Sup3rS3cr3tV4lu3"] {
            XCTAssertFalse(text.contains(secret), "\(secret) is in the provenance: \(text)")
        }
        guard case .object(let root) = predicate, case .object(let invocation)? = root["invocation"],
              case .object(let parameters)? = invocation["parameters"], case .object(let args)? = parameters["args"] else {
            return XCTFail("unexpected shape: \(text)")
        }
        XCTAssertEqual(args["build-arg:VERSION"], .string("1.2.3"))
        XCTAssertEqual(args["build-arg:API_TOKEN"], .string(ProvenancePredicate.redacted))
        XCTAssertEqual(args["build-arg:DB_PASSWORD"], .string(ProvenancePredicate.redacted))
        XCTAssertEqual(args["build-arg:HARMLESS"], .string(ProvenancePredicate.redacted))
        XCTAssertEqual(args["label:org.example.vendor"], .string("Example Corp"))
        XCTAssertEqual(args["target"], .string("final"))
        XCTAssertEqual(parameters["secrets"], [["id": "npmrc", "optional": false]])
        XCTAssertEqual(root["buildType"], "https://mobyproject.org/buildkit@v1")
        XCTAssertEqual(root["materials"], [["uri": "pkg:docker/127.0.0.1:5000/base/busybox@1?platform=linux%2Famd64", "digest": ["sha256": .string(baseDigest.hex)]]])
        guard case .object(let source)? = invocation["configSource"] else { return XCTFail("no configSource") }
        XCTAssertEqual(source["digest"], ["sha256": .string(Digest.sha256(of: dockerfile).hex)])
        XCTAssertEqual(source["entryPoint"], "Dockerfile")
        // min: no Dockerfile text, no secret ids.
        var min = input
        min.mode = .min
        let minText = String(decoding: try CanonicalJSON.encode(ProvenancePredicate.predicate(min)), as: UTF8.self)
        XCTAssertFalse(minText.contains(dockerfile.base64EncodedString()))
        XCTAssertFalse(minText.contains("npmrc"))
        XCTAssertTrue(text.contains(dockerfile.base64EncodedString()))
    }

    private func manifest(_ seed: String, _ platform: Platform) throws -> Descriptor {
        var descriptor = Descriptor(mediaType: .ociManifest, content: Data(seed.utf8))
        descriptor.platform = platform
        return descriptor
    }
}
