import Foundation
import ImageArchive
import ImageSpec
import ImageStore
import LayerArchive
import XCTest

/// docker-archives made by hand, in Docker ≤ 24's layout and in Docker ≥ 25's OCI-based one.
final class HandMadeArchiveTests: ArchiveTestCase {
    func testOldDockerLayout() async throws {
        let layer = try Self.layerTar()
        let diffID = Digest.sha256(of: layer)
        let config = try Self.config(diffIDs: [diffID])
        let configHex = Digest.sha256(of: config).hex
        let v1 = String(repeating: "a", count: 64)
        let manifest = #"[{"Config":"\#(configHex).json","RepoTags":["hand:old","localhost:5000/x/y:tag"],"Layers":["\#(v1)/layer.tar"]}]"#
        let archive = try Self.tar([
            ("\(v1)/", nil), ("\(v1)/VERSION", Array("1.0".utf8)), ("\(v1)/json", Array("{}".utf8)), ("\(v1)/layer.tar", layer),
            ("\(configHex).json", Array(config)), ("manifest.json", Array(manifest.utf8)),
            ("repositories", Array(#"{"hand":{"old":"\#(v1)"}}"#.utf8)),
        ])
        // gzip-compressed, as people often store them.
        var gz = try GzipCompressor(sink: [UInt8]())
        try gz.write(archive)
        try gz.finish()
        let file = try write(gz.sink, "old.tar.gz")

        let store = try makeStore("s")
        let images = try await ImageLoader(store: store).load(from: file)
        XCTAssertEqual(images.count, 1)
        XCTAssertEqual(images[0].references.map(\.familiar), ["hand:old", "localhost:5000/x/y:tag"])
        XCTAssertEqual(try ArchiveImageResolver(store: store).imageID(of: images[0].manifestDescriptor).hex, configHex)
        XCTAssertEqual(try store.list().count, 2)
        let healthystore = try await store.check(); XCTAssertTrue(healthystore.isHealthy, "\(healthystore.problems)")
        let manifestBlob = try JSONDecoder().decode(Manifest.self, from: store.read(images[0].manifestDescriptor.digest))
        // An uncompressed layer.tar is stored as it is (compressed only if the image leaves the machine).
        XCTAssertEqual(manifestBlob.layers.first?.mediaType, .ociLayer)
    }

    func testNewOCIBasedDockerLayout() async throws {
        let layer = try Self.layerTar("new.txt", "new\n")
        let layerDigest = Digest.sha256(of: layer)
        let config = try Self.config(diffIDs: [layerDigest])
        let configDigest = Digest.sha256(of: config)
        let manifest = Manifest(config: Descriptor(mediaType: .ociConfig, content: config),
                                layers: [Descriptor(mediaType: .ociLayer, digest: layerDigest, size: Int64(layer.count))])
        let manifestBytes = try CanonicalJSON.encode(manifest)
        let manifestDigest = Digest.sha256(of: manifestBytes)
        let index = #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(manifestDigest)","size":\#(manifestBytes.count),"annotations":{"io.containerd.image.name":"docker.io/library/hand:new","org.opencontainers.image.ref.name":"new"}}]}"#
        let dockerManifest = #"[{"Config":"blobs/sha256/\#(configDigest.hex)","RepoTags":["hand:new","hand:also"],"Layers":["blobs/sha256/\#(layerDigest.hex)"]}]"#
        let archive = try Self.tar([
            ("blobs/", nil), ("blobs/sha256/", nil),
            ("blobs/sha256/\(configDigest.hex)", Array(config)),
            ("blobs/sha256/\(layerDigest.hex)", layer),
            ("blobs/sha256/\(manifestDigest.hex)", Array(manifestBytes)),
            ("index.json", Array(index.utf8)), ("manifest.json", Array(dockerManifest.utf8)),
            ("oci-layout", Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8)),
            ("repositories", Array(#"{"hand":{"new":"\#(layerDigest.hex)"}}"#.utf8)),
        ])
        let file = try write(archive, "new.tar")
        let store = try makeStore("s")
        let images = try await ImageLoader(store: store).load(from: file)
        XCTAssertEqual(images.count, 1)
        XCTAssertEqual(images[0].manifestDescriptor.digest, manifestDigest, "the manifest is kept as is")
        XCTAssertEqual(Set(images[0].references.map(\.familiar)), ["hand:new", "hand:also"])
        let healthystore = try await store.check(); XCTAssertTrue(healthystore.isHealthy, "\(healthystore.problems)")
    }

    func testNewLayoutWithOnlyManifestJSON() async throws {
        // Docker ≥ 25 paths without index.json: the manifest.json route handles blob paths too.
        let layer = try Self.layerTar()
        let diffID = Digest.sha256(of: layer)
        let config = try Self.config(diffIDs: [diffID])
        let configHex = Digest.sha256(of: config).hex
        let manifest = #"[{"Config":"blobs/sha256/\#(configHex)","RepoTags":["hand:blobs"],"Layers":["blobs/sha256/\#(diffID.hex)"]}]"#
        let file = try write(try Self.tar([
            ("blobs/sha256/\(configHex)", Array(config)), ("blobs/sha256/\(diffID.hex)", layer), ("manifest.json", Array(manifest.utf8)),
        ]), "blobs.tar")
        let store = try makeStore("s")
        let images = try await ImageLoader(store: store).load(from: file)
        XCTAssertEqual(images.first?.references.map(\.familiar), ["hand:blobs"])
    }
}
