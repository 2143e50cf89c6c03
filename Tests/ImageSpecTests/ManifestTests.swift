import Foundation
import XCTest
@testable import ImageSpec

final class ManifestTests: XCTestCase {
    /// As a Docker registry serves a schema 2 manifest: pretty-printed, Go's field order.
    static let dockerManifest = """
    {
       "schemaVersion": 2,
       "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
       "config": {
          "mediaType": "application/vnd.docker.container.image.v1+json",
          "size": 1472,
          "digest": "sha256:\(hex64a)"
       },
       "layers": [
          {
             "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
             "size": 3370628,
             "digest": "sha256:\(hex64b)"
          },
          {
             "mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
             "size": 1024,
             "digest": "sha256:\(String(repeating: "c", count: 64))",
             "urls": ["https://example.com/layer.tar.gz"]
          }
       ]
    }
    """

    func testDecodeDockerSchema2() throws {
        let manifest = try CanonicalJSON.decode(Manifest.self, from: json(Self.dockerManifest))
        XCTAssertEqual(manifest.schemaVersion, 2)
        XCTAssertEqual(manifest.mediaType, .dockerManifest)
        XCTAssertTrue(manifest.isDocker)
        XCTAssertEqual(manifest.config.mediaType, .dockerConfig)
        XCTAssertEqual(manifest.config.size, 1472)
        XCTAssertEqual(manifest.config.digest, sha256a)
        XCTAssertEqual(manifest.layers.count, 2)
        XCTAssertEqual(manifest.layers[0].mediaType.layerCompression, .gzip)
        XCTAssertEqual(manifest.layers[1].urls, ["https://example.com/layer.tar.gz"])
        XCTAssertTrue(manifest.layers[1].mediaType.isNondistributable)
        XCTAssertNil(manifest.subject)
        XCTAssertNil(manifest.annotations)
        XCTAssertEqual(try roundTrip(manifest), manifest)
    }

    func testOCIManifestWithSubjectAnnotationsAndArtifactType() throws {
        let source = """
        {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
         "artifactType":"application/vnd.example.sbom",
         "config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2,"data":"e30="},
         "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+zstd","digest":"sha256:\(hex64b)","size":10,"annotations":{"org.opencontainers.image.title":"sbom.json"}}],
         "subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:\(hex64a)","size":405},
         "annotations":{"org.opencontainers.image.created":"2024-01-01T00:00:00Z"},
         "futureField":{"nested":[1,2,3]}}
        """
        let manifest = try CanonicalJSON.decode(Manifest.self, from: json(source))
        XCTAssertEqual(manifest.artifactType?.rawValue, "application/vnd.example.sbom")
        XCTAssertEqual(manifest.config.mediaType, .ociEmpty)
        XCTAssertEqual(manifest.config.data, Data("{}".utf8))
        try manifest.config.verify(manifest.config.data!)
        XCTAssertEqual(manifest.layers[0].mediaType.layerCompression, .zstd)
        XCTAssertEqual(manifest.subject?.digest, sha256a)
        XCTAssertEqual(manifest.annotations?["org.opencontainers.image.created"], "2024-01-01T00:00:00Z")
        XCTAssertFalse(manifest.isDocker)
        XCTAssertEqual(try roundTrip(manifest), manifest)
    }

    func testCanonicalEncodingOmitsEmptyFields() throws {
        let config = Descriptor(mediaType: .ociConfig, digest: sha256a, size: 2, urls: [], annotations: [:])
        let manifest = Manifest(config: config, layers: [], annotations: [:])
        XCTAssertEqual(
            text(try CanonicalJSON.encode(manifest)),
            #"{"config":{"digest":"sha256:\#(hex64a)","mediaType":"application/vnd.oci.image.config.v1+json","size":2},"layers":[],"mediaType":"application/vnd.oci.image.manifest.v1+json","schemaVersion":2}"#
        )
        let bare = Manifest(mediaType: nil, config: config, layers: [])
        XCTAssertFalse(text(try CanonicalJSON.encode(bare)).contains("mediaType\":\"application/vnd.oci.image.manifest"))
    }

    func testManifestRejections() {
        let config = #""config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:\#(hex64a)","size":1}"#
        let cases: [(String, ImageSpecError.Code, String)] = [
            (#"{"schemaVersion":1,"name":"x","fsLayers":[]}"#, .invalidDocument, "schema 1"),
            (#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v1+prettyjws",\#(config)}"#, .invalidDocument, "schema 1"),
            (#"{"schemaVersion":3,\#(config)}"#, .invalidDocument, "schemaVersion is 3"),
            (#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",\#(config)}"#, .invalidDocument, "is an index"),
            (#"{"schemaVersion":2}"#, .invalidDocument, "missing \"config\""),
            (#"{"config":{}}"#, .invalidDocument, "missing \"schemaVersion\""),
            (#"{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:abc","size":1}}"#, .invalidDigest, "at config.digest"),
            (#"{"schemaVersion":2,"config":{"mediaType":"not a type","digest":"sha256:\#(hex64a)","size":1}}"#, .invalidMediaType, "at config.mediaType"),
            (#"{"schemaVersion":2,"config":{"mediaType":"a/b","digest":"sha256:\#(hex64a)","size":-1}}"#, .invalidDocument, "negative"),
            (#"{"schemaVersion":2,"config":{"mediaType":"a/b","digest":"sha256:\#(hex64a)","size":"1"}}"#, .invalidDocument, "at config.size"),
            (#"{"schemaVersion":2,\#(config),"layers":[{"mediaType":"a/b","digest":"sha256:\#(hex64a)","size":1,"platform":{"os":"linux"}}]}"#, .invalidDocument, "missing \"architecture\" at layers[0].platform"),
            ("not json", .invalidDocument, "invalid Manifest JSON"),
            ("", .invalidDocument, "invalid Manifest JSON"),
            ("[]", .invalidDocument, "invalid Manifest JSON"),
        ]
        for (source, code, fragment) in cases {
            assertImageSpecError(code, fragment, source) { try CanonicalJSON.decode(Manifest.self, from: json(source)) }
        }
    }

    func testMissingLayersDecodeAsEmpty() throws {
        let manifest = try CanonicalJSON.decode(Manifest.self, from: json(#"{"schemaVersion":2,"config":{"mediaType":"a/b","digest":"sha256:\#(hex64a)","size":1}}"#))
        XCTAssertEqual(manifest.layers, [])
        XCTAssertNil(manifest.mediaType)
    }

    // MARK: - Index

    /// As Docker Hub serves a manifest list.
    static let dockerManifestList = """
    {
       "manifests": [
          {"digest": "sha256:\(hex64a)", "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
           "platform": {"architecture": "amd64", "os": "linux"}, "size": 528},
          {"digest": "sha256:\(hex64b)", "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
           "platform": {"architecture": "arm", "os": "linux", "variant": "v7"}, "size": 528},
          {"digest": "sha256:\(String(repeating: "c", count: 64))", "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
           "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}, "size": 528},
          {"digest": "sha256:\(String(repeating: "d", count: 64))", "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
           "platform": {"architecture": "amd64", "os": "windows", "os.version": "10.0.17763.5329"}, "size": 528}
       ],
       "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
       "schemaVersion": 2
    }
    """

    func testDecodeDockerManifestList() throws {
        let index = try CanonicalJSON.decode(Index.self, from: json(Self.dockerManifestList))
        XCTAssertTrue(index.isDocker)
        XCTAssertEqual(index.manifests.count, 4)
        XCTAssertEqual(index.manifests[3].platform?.osVersion, "10.0.17763.5329")
        XCTAssertEqual(index.manifest(for: try Platform(parsing: "linux/amd64"))?.digest, sha256a)
        XCTAssertEqual(index.manifest(for: try Platform(parsing: "linux/arm/v7"))?.digest, sha256b)
        XCTAssertEqual(index.manifest(for: try Platform(parsing: "linux/arm64"))?.digest.hex, String(repeating: "c", count: 64))
        XCTAssertEqual(index.manifest(for: try Platform(parsing: "windows/amd64"))?.digest.hex, String(repeating: "d", count: 64))
        XCTAssertNil(index.manifest(for: try Platform(parsing: "linux/s390x")))
        XCTAssertEqual(try roundTrip(index), index)
    }

    /// As BuildKit writes a multi-platform OCI index with attestations.
    func testOCIIndexWithAttestations() throws {
        let source = """
        {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
          {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:\(hex64a)","size":1,"platform":{"architecture":"amd64","os":"linux"}},
          {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:\(hex64b)","size":2,"platform":{"architecture":"unknown","os":"unknown"},
           "annotations":{"vnd.docker.reference.digest":"sha256:\(hex64a)","vnd.docker.reference.type":"attestation-manifest"}}]}
        """
        let index = try CanonicalJSON.decode(Index.self, from: json(source))
        XCTAssertFalse(index.isDocker)
        XCTAssertEqual(index.manifest(for: try Platform(parsing: "linux/amd64"))?.size, 1)
        XCTAssertNil(index.manifest(for: try Platform(parsing: "linux/arm64")))
    }

    func testIndexRejectionsAndDefaults() throws {
        assertImageSpecError(.invalidDocument, "is an image manifest") {
            try CanonicalJSON.decode(Index.self, from: json(#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","manifests":[]}"#))
        }
        assertImageSpecError(.invalidDocument, "schemaVersion is 1") {
            try CanonicalJSON.decode(Index.self, from: json(#"{"schemaVersion":1,"manifests":[]}"#))
        }
        let empty = try CanonicalJSON.decode(Index.self, from: json(#"{"schemaVersion":2}"#))
        XCTAssertEqual(empty.manifests, [])
        XCTAssertEqual(text(try CanonicalJSON.encode(Index(manifests: []))), #"{"manifests":[],"mediaType":"application/vnd.oci.image.index.v1+json","schemaVersion":2}"#)
    }

    func testOCILayoutTags() throws {
        let tagged = Descriptor(mediaType: .ociManifest, digest: sha256a, size: 1, annotations: [Descriptor.refNameAnnotation: "latest"])
        let other = Descriptor(mediaType: .ociManifest, digest: sha256b, size: 1, annotations: [Descriptor.refNameAnnotation: "v1"])
        let index = Index(manifests: [tagged, other])
        XCTAssertEqual(index.manifests(named: "latest"), [tagged])
        XCTAssertEqual(index.manifests(named: "none"), [])
        XCTAssertEqual(tagged.referenceName, "latest")
    }

    // MARK: - Descriptor

    func testDescriptorVerify() throws {
        let content = Data("hello".utf8)
        let descriptor = Descriptor(mediaType: .ociLayer, content: content)
        XCTAssertEqual(descriptor.size, 5)
        XCTAssertNoThrow(try descriptor.verify(content))
        assertImageSpecError(.contentMismatch, "6 bytes") { try descriptor.verify(Data("hello!".utf8)) }
        assertImageSpecError(.contentMismatch, "does not match") { try descriptor.verify(Data("jello".utf8)) }
        let sha512 = Descriptor(mediaType: .ociLayer, digest: .digest(of: content, algorithm: .sha512), size: 5)
        XCTAssertNoThrow(try sha512.verify(content))
    }

    func testDescriptorEncodingIsCompleteAndOmitsEmpties() throws {
        let platform = try Platform(parsing: "linux/arm64")
        let full = Descriptor(
            mediaType: .ociManifest, digest: sha256a, size: 7, urls: ["https://a/b"], annotations: ["k": "v"],
            platform: platform, artifactType: .ociEmpty, data: Data([0, 1])
        )
        XCTAssertEqual(
            text(try CanonicalJSON.encode(full)),
            #"{"annotations":{"k":"v"},"artifactType":"application/vnd.oci.empty.v1+json","data":"AAE=","digest":"sha256:\#(hex64a)","mediaType":"application/vnd.oci.image.manifest.v1+json","platform":{"architecture":"arm64","os":"linux","variant":"v8"},"size":7,"urls":["https://a/b"]}"#
        )
        XCTAssertEqual(try roundTrip(full), full)
        let sparse = Descriptor(mediaType: .ociLayer, digest: sha256a, size: 0, urls: [], annotations: [:], data: Data())
        XCTAssertEqual(text(try CanonicalJSON.encode(sparse)), #"{"digest":"sha256:\#(hex64a)","mediaType":"application/vnd.oci.image.layer.v1.tar","size":0}"#)
    }

    private func roundTrip<T: Codable>(_ value: T) throws -> T {
        try CanonicalJSON.decode(T.self, from: try CanonicalJSON.encode(value))
    }
}
