import Foundation
import ImageSpec
import XCTest
@testable import Distribution

extension XCTestCase {
    /// Pushes a small image (layer, config, manifest) and returns its parts.
    func pushImage(_ client: RegistryClient, host: String, repository: String, layerSize: Int = 200_000) async throws -> (layer: Descriptor, layerBytes: Data, manifestDigest: Digest, manifestBytes: Data) {
        let layerBytes = Data((0..<layerSize).map { _ in UInt8.random(in: 0...255) })
        let layer = Descriptor(mediaType: .ociLayerGzip, content: layerBytes)
        let configBytes = Data(#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["\#(layer.digest)"]},"nonce":"\#(UUID())"}"#.utf8)
        let config = Descriptor(mediaType: .ociConfig, content: configBytes)
        let exists = try await client.blobExists(host: host, repository: repository, digest: layer.digest)
        XCTAssertFalse(exists)
        let outcome = try await client.pushBlob(host: host, repository: repository, descriptor: layer, source: RegistryClient.source(layerBytes, chunkSize: 32 << 10))
        XCTAssertEqual(outcome, .uploaded)
        try await client.pushBlob(host: host, repository: repository, descriptor: config, source: RegistryClient.source(configBytes))
        let manifestBytes = try CanonicalJSON.encode(Manifest(config: config, layers: [layer]))
        let digest = try await client.putManifest(ImageReference(parsing: "\(host)/\(repository):v1"), mediaType: .ociManifest, bytes: manifestBytes)
        XCTAssertEqual(digest, .sha256(of: manifestBytes))
        return (layer, layerBytes, digest, manifestBytes)
    }
}
