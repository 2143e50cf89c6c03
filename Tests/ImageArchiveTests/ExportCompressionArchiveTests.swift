import Foundation
import ImageArchive
import ImageSpec
import ImageStore
import LayerArchive
import LayerVariants
import XCTest

/// Layers kept uncompressed in the store (loaded from a docker-archive, as built) leave in OCI
/// archives compressed as asked, once; docker-archives keep uncompressed `layer.tar` files.
final class ExportCompressionArchiveTests: ArchiveTestCase {
    /// busybox through a docker-archive into store `b`: its layers are now stored uncompressed.
    private func uncompressedBusybox() async throws -> (ContentStore, ArchiveImage, Digest) {
        let (a, image) = try await storeWithBusybox()
        let file = path("busybox-docker.tar")
        try await ImageExporter(store: a).export([image], format: .docker, to: file)
        let b = try makeStore("b")
        let loaded = try await ImageLoader(store: b).load(from: file)
        let id = try ArchiveImageResolver(store: b).imageID(of: loaded[0].manifestDescriptor)
        return (b, loaded[0], id)
    }

    private func manifest(_ store: ContentStore, _ descriptor: Descriptor) throws -> Manifest {
        try JSONBlob<Manifest>(bytes: store.read(descriptor.digest)).value
    }

    func testLoadedDockerArchiveLayersAreStoredUncompressed() async throws {
        let (b, image, _) = try await uncompressedBusybox()
        let layers = try manifest(b, image.manifestDescriptor).layers
        XCTAssertFalse(layers.isEmpty)
        XCTAssertTrue(layers.allSatisfy { $0.mediaType == .ociLayer }, "\(layers)")
        let config = try JSONDecoder().decode(ImageConfig.self, from: b.read(try manifest(b, image.manifestDescriptor).config.digest))
        XCTAssertEqual(layers.map(\.digest), config.rootfs.diffIDs)
    }

    func testOCIArchiveCompressesAsAskedAndLoadsBackToTheSameImage() async throws {
        let (b, image, id) = try await uncompressedBusybox()
        for (compression, mediaType) in [(ExportCompression.default, MediaType.ociLayerGzip),
                                         (ExportCompression(algorithm: .zstd), .ociLayerZstd),
                                         (ExportCompression(algorithm: .uncompressed), .ociLayer)] {
            let file = path("out-\(compression).tar")
            try await ImageExporter(store: b).export([image], format: .oci, to: file, compression: compression)
            let c = try makeStore("c-\(compression)")
            let loaded = try await ImageLoader(store: c).load(from: file)
            XCTAssertEqual(try ArchiveImageResolver(store: c).imageID(of: loaded[0].manifestDescriptor), id)
            let layers = try manifest(c, loaded[0].manifestDescriptor).layers
            XCTAssertTrue(layers.allSatisfy { $0.mediaType == mediaType }, "\(compression): \(layers)")
            if compression.algorithm == .uncompressed {
                XCTAssertEqual(loaded[0].manifestDescriptor.digest, image.manifestDescriptor.digest)
            }
            let healthy = try await c.check()
            XCTAssertTrue(healthy.isHealthy, "\(healthy.problems)")
        }
        // The gzip variants were made once: a second export gives the same archive bytes.
        let first = try Data(contentsOf: URL(fileURLWithPath: path("out-gzip-6.tar")))
        try await ImageExporter(store: b).export([image], format: .oci, to: path("again.tar"))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("again.tar"))), first)
    }

    func testDockerArchiveOfUncompressedLayersHoldsPlainLayerTars() async throws {
        let (b, image, id) = try await uncompressedBusybox()
        let file = path("docker-again.tar")
        try await ImageExporter(store: b).export([image], format: .docker, to: file)
        let c = try makeStore("c")
        let loaded = try await ImageLoader(store: c).load(from: file)
        XCTAssertEqual(try ArchiveImageResolver(store: c).imageID(of: loaded[0].manifestDescriptor), id)
        XCTAssertTrue(try Self.tarNames(file).contains { $0.hasSuffix("/layer.tar") })
    }
}
