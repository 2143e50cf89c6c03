import Distribution
import Foundation
import ImageSpec
import ImageStore
import Images
import XCTest

/// Pulling through an OCI index picks the requested platform's manifest.
final class MultiPlatformTests: ImagesTestCase {
    static let host = "127.0.0.1:5101"

    func testPullPicksPlatformFromIndex() async throws {
        try requireRegistry(5101)
        let builder = try makeService("builder")
        let amd = try await builder.pull(ImageReference(parsing: "\(Self.host)/busybox"), platform: Platform(parsing: "linux/amd64"))
        var armConfig = amd.config
        armConfig.platform = try Platform(os: "linux", architecture: "arm64")
        let armConfigDescriptor = try builder.store.put(bytes: CanonicalJSON.encode(armConfig), mediaType: .ociConfig)
        let armManifest = Manifest(config: armConfigDescriptor, layers: amd.manifest.layers)
        let armDescriptor = try builder.store.put(bytes: CanonicalJSON.encode(armManifest), mediaType: .ociManifest)
        let arm = LocalImage(references: [], manifestDescriptor: armDescriptor, manifest: armManifest, configDescriptor: armConfigDescriptor, config: armConfig)

        let repo = try ImageReference(parsing: "\(Self.host)/multi-\(UUID().uuidString.prefix(6).lowercased())")
        try await builder.push(amd, to: repo.nameOnly.withDigest(amd.manifestDescriptor.digest))
        try await builder.push(arm, to: repo.nameOnly.withDigest(armDescriptor.digest))
        var amdEntry = amd.manifestDescriptor
        amdEntry.platform = try Platform(parsing: "linux/amd64")
        var armEntry = armDescriptor
        armEntry.platform = armConfig.platform
        let indexBytes = try CanonicalJSON.encode(Index(mediaType: .ociIndex, manifests: [amdEntry, armEntry]))
        let indexDigest = try await builder.registry.putManifest(repo, mediaType: .ociIndex, bytes: indexBytes)

        let consumer = try makeService("consumer")
        let pulledArm = try await consumer.pullImage(repo, platform: Platform(parsing: "linux/arm64"))
        XCTAssertEqual(pulledArm.digest, indexDigest)
        XCTAssertEqual(pulledArm.image.id, armConfigDescriptor.digest)
        XCTAssertEqual(pulledArm.image.repoDigests, [repo.nameOnly.withDigest(indexDigest)])
        let pulledAmd = try await consumer.pullImage(repo, platform: Platform(parsing: "linux/amd64"))
        XCTAssertEqual(pulledAmd.image.id, amd.id)
        XCTAssertTrue(pulledAmd.downloadedNewer)
        do {
            _ = try await consumer.pull(repo, platform: Platform(parsing: "linux/s390x"))
            XCTFail("no s390x image in the index")
        } catch let error as ImagesError {
            XCTAssertEqual(error.code, .unsupportedImage)
        }
        // The store reference points at the platform manifest, so the store stays complete.
        let check = try await consumer.store.check()
        XCTAssertTrue(check.isHealthy, "\(check.problems)")
    }
}
