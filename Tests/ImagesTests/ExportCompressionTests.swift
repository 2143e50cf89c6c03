import Distribution
import Foundation
import ImageSpec
import ImageStore
import Images
import LayerArchive
import LayerVariants
import TestVectors
import XCTest

/// Pushing images whose layers kiln stores uncompressed (what it builds): each layer is compressed
/// once per compression and level, remembered in the store, and sent compressed; the image ID and
/// diff IDs never change. Against a real registry on 127.0.0.1:5107.
final class ExportCompressionTests: ImagesTestCase {
    static let host = "127.0.0.1:5107"

    /// busybox plus one uncompressed layer (as the builder stores them), tagged `reference`.
    private func makeUncompressedImage(_ service: ImageService, base: LocalImage, reference: ImageReference) async throws -> LocalImage {
        let tree = root.appendingPathComponent("tree-\(UUID())")
        try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
        try Data(String(repeating: "kiln layer text \(UUID())\n", count: 20_000).utf8).write(to: tree.appendingPathComponent("big.txt"))
        let tar = root.appendingPathComponent("layer-\(UUID()).tar")
        XCTAssertEqual(shell("tar -C \(quoted(tree.path)) -cf \(quoted(tar.path)) .").status, 0)
        let bytes = try Data(contentsOf: tar)
        let layer = try service.store.put(bytes: bytes, mediaType: .ociLayer)
        var config = base.config
        config.rootfs.diffIDs.append(layer.digest)
        config.history.append(History(created: Timestamp(Date()), createdBy: "COPY big.txt / # buildkit", comment: "buildkit.dockerfile.v0"))
        let configDescriptor = try service.store.put(bytes: CanonicalJSON.encode(config), mediaType: .ociConfig)
        let manifest = Manifest(config: configDescriptor, layers: base.manifest.layers + [layer])
        let manifestDescriptor = try service.store.put(bytes: CanonicalJSON.encode(manifest), mediaType: .ociManifest)
        try await service.store.tag(reference, manifestDescriptor)
        return LocalImage(references: [reference], manifestDescriptor: manifestDescriptor, manifest: manifest,
                          configDescriptor: configDescriptor, config: config)
    }

    private func blobListing(_ store: ContentStore) throws -> [String: Date] {
        let dir = store.location.blobsDirectory(for: .sha256).path
        var result: [String: Date] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) {
            result[name] = try FileManager.default.attributesOfItem(atPath: dir + "/" + name)[.modificationDate] as? Date
        }
        return result
    }

    func testPushCompressesOnceAndASecondPushCompressesNothing() async throws {
        try requireRegistry(5107)
        let repo = "uncompressed-\(UUID().uuidString.prefix(8).lowercased())"
        let service = try makeService("builder")
        let base = try await service.pull(ImageReference(parsing: "\(Self.host)/busybox:latest"), platform: .host)
        let target = try ImageReference(parsing: "\(Self.host)/\(repo):v1")
        let image = try await makeUncompressedImage(service, base: base, reference: target)
        let uncompressed = image.manifest.layers.last!

        let digest = try await service.push(image, to: target)
        XCTAssertNotEqual(digest, image.manifestDescriptor.digest)
        let exported = try service.exported(image, compression: .default)
        XCTAssertEqual(exported.manifestDescriptor.digest, digest)
        XCTAssertEqual(exported.id, image.id)
        XCTAssertEqual(exported.manifest.layers.dropLast(), image.manifest.layers.dropLast(), "pulled layers are sent as pulled")
        let gzipped = exported.manifest.layers.last!
        XCTAssertEqual(gzipped.mediaType, .ociLayerGzip)
        XCTAssertLessThan(gzipped.size, uncompressed.size / 4)
        XCTAssertEqual(service.store.variant(of: uncompressed.digest, key: "gzip-6")?.digest, gzipped.digest)

        // A second push (another process: a fresh service) compresses nothing and writes no blob.
        let blobsBefore = try blobListing(service.store)
        let again = RecordingProgress()
        let second = try await ImageService(store: service.store, registry: service.registry, progress: again).push(image, to: target)
        XCTAssertEqual(second, digest)
        XCTAssertEqual(Set(again.outcomes().values), [.alreadyExists])
        XCTAssertEqual(try blobListing(service.store), blobsBefore)

        // Pulled back into an empty store: the same image, its layer unpacks to the diff ID.
        let consumer = try makeService("consumer")
        let pulled = try await consumer.pull(target, platform: .host)
        XCTAssertEqual(pulled.id, image.id)
        XCTAssertEqual(pulled.manifest.layers.last, gzipped)
        let snapshots = try await consumer.snapshots(for: pulled)
        XCTAssertTrue(FileManager.default.fileExists(atPath: snapshots.last!.appendingPathComponent("big.txt").path))

        // Pruned, the variant is gone and the next push compresses again, to the same bytes.
        try await service.store.untag(target)
        _ = try await service.store.prune(strayAge: 0)
        XCTAssertNil(service.store.variant(of: uncompressed.digest, key: "gzip-6"))
    }

    func testZstdPushAndPullBack() async throws {
        try requireRegistry(5107)
        let repo = "zstd-\(UUID().uuidString.prefix(8).lowercased())"
        let service = try makeService("builder")
        let base = try await service.pull(ImageReference(parsing: "\(Self.host)/busybox:latest"), platform: .host)
        let target = try ImageReference(parsing: "\(Self.host)/\(repo):v1")
        let image = try await makeUncompressedImage(service, base: base, reference: target)
        let compression = try ExportCompression(name: "zstd", level: 5)
        let digest = try await service.push(image, to: target, compression: compression)
        let exported = try service.exported(image, compression: compression)
        XCTAssertEqual(exported.manifestDescriptor.digest, digest)
        XCTAssertEqual(exported.manifest.layers.last?.mediaType, .ociLayerZstd)
        let blob = try Data(contentsOf: try service.store.open(exported.manifest.layers.last!.digest))
        XCTAssertEqual(CompressionSniffer.detect(blob.prefix(6)), .zstd)

        let consumer = try makeService("consumer")
        let pulled = try await consumer.pull(target, platform: .host)
        XCTAssertEqual(pulled.id, image.id)
        XCTAssertEqual(pulled.manifest.layers.last?.mediaType, .ociLayerZstd)
        let snapshots = try await consumer.snapshots(for: pulled)
        let text = try String(contentsOf: snapshots.last!.appendingPathComponent("big.txt"), encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("kiln layer text"))

        // Uncompressed: the stored manifest itself goes out.
        let plainTarget = try ImageReference(parsing: "\(Self.host)/\(repo):plain")
        let plain = try await service.push(image, to: plainTarget, compression: ExportCompression(algorithm: .uncompressed))
        XCTAssertEqual(plain, image.manifestDescriptor.digest)
    }

    func testCompressionFlagsAreChecked() {
        XCTAssertThrowsError(try ExportCompression(name: "brotli", level: nil))
        XCTAssertThrowsError(try ExportCompression(name: "gzip", level: 13))
        XCTAssertThrowsError(try ExportCompression(name: "zstd", level: 0))
        XCTAssertThrowsError(try ExportCompression(name: "uncompressed", level: 3))
        XCTAssertEqual(try ExportCompression(name: "zstd", level: 19).effectiveLevel, 19)
        XCTAssertEqual(try ExportCompression(name: nil, level: nil), .default)
    }
}
