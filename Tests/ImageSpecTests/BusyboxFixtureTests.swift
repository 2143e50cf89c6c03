import Foundation
import XCTest
import TestVectors
@testable import ImageSpec

/// Reads the real OCI layout in shared/fixtures/busybox and checks every blob against its descriptor.
final class BusyboxFixtureTests: XCTestCase {
    private var layout: URL { Vectors.shared.appendingPathComponent("fixtures/busybox") }

    private func blob(_ digest: Digest) -> URL {
        layout.appendingPathComponent("blobs/\(digest.algorithm.rawValue)/\(digest.hex)")
    }

    func testLayoutDecodesAndVerifies() throws {
        guard FileManager.default.fileExists(atPath: layout.path) else {
            throw XCTSkip("busybox fixture not found at \(layout.path)")
        }
        let marker = try JSONSerialization.jsonObject(with: Data(contentsOf: layout.appendingPathComponent("oci-layout"))) as? [String: String]
        XCTAssertEqual(marker?["imageLayoutVersion"], "1.0.0")

        let indexBytes = try Data(contentsOf: layout.appendingPathComponent("index.json"))
        let index = try JSONBlob<Index>(bytes: indexBytes).value
        XCTAssertEqual(index.mediaType, .ociIndex)
        XCTAssertEqual(index.manifests.count, 1)
        let entry = try XCTUnwrap(index.manifest(for: try Platform(parsing: "linux/amd64")))
        XCTAssertEqual(entry.referenceName, "latest")
        XCTAssertEqual(index.manifests(named: "latest"), [entry])
        XCTAssertEqual(entry.mediaType, .ociManifest)
        XCTAssertEqual(entry.digest.description, "sha256:e18e8acfca9d134497745905c6f95b163537a278ffacac2270a708727f2b52e1")

        let manifestBytes = try Data(contentsOf: blob(entry.digest))
        let manifest = try JSONBlob<Manifest>(bytes: manifestBytes, verifying: entry)
        XCTAssertEqual(manifest.digest, entry.digest)
        XCTAssertEqual(manifest.value.config.mediaType, .ociConfig)
        XCTAssertEqual(manifest.value.layers.map(\.mediaType), [.ociLayerGzip])
        // The fixture was written with sorted keys and no whitespace: our canonical form reproduces it exactly.
        XCTAssertEqual(try CanonicalJSON.encode(manifest.value), manifestBytes)

        let configBytes = try Data(contentsOf: blob(manifest.value.config.digest))
        let config = try JSONBlob<ImageConfig>(bytes: configBytes, verifying: manifest.value.config)
        XCTAssertEqual(config.value.platform, entry.platform)
        XCTAssertEqual(config.value.config.cmd, ["sh"])
        XCTAssertEqual(config.value.created, Timestamp(secondsSinceEpoch: 0))
        XCTAssertEqual(config.value.history.map(\.createdBy), ["root filesystem of busybox:latest"])
        XCTAssertEqual(config.value.rootfs.diffIDs.count, manifest.value.layers.count)
        XCTAssertEqual(config.value.rootfs.diffIDs.first?.description, "sha256:68941a9a3d95420b297b6be01e4642da49494b23b324f28428ed2fc0dd14bbca")
        XCTAssertEqual(try CanonicalJSON.encode(config.value), configBytes)

        // The layer, streamed through a Digester in chunks as the store will.
        for layer in manifest.value.layers {
            let handle = try FileHandle(forReadingFrom: blob(layer.digest))
            defer { try? handle.close() }
            var digester = Digester(algorithm: layer.digest.algorithm)
            while let chunk = try handle.read(upToCount: 64 * 1024), !chunk.isEmpty {
                digester.update(chunk)
            }
            XCTAssertEqual(digester.byteCount, layer.size)
            XCTAssertEqual(digester.finalize(), layer.digest)
        }
    }
}
