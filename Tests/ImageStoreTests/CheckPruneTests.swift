import Foundation
import XCTest
import ImageSpec
import TestVectors
@testable import ImageStore

final class CheckPruneTests: StoreTestCase {
    private var fixture: URL { Vectors.shared.appendingPathComponent("fixtures/busybox") }

    /// Copies the busybox OCI layout into the store through verified ingest and tags it.
    private func importBusybox() async throws -> Descriptor {
        guard FileManager.default.fileExists(atPath: fixture.path) else {
            throw XCTSkip("busybox fixture not found at \(fixture.path)")
        }
        func blob(_ digest: Digest) -> URL { fixture.appendingPathComponent("blobs/sha256/\(digest.hex)") }
        let index = try JSONDecoder().decode(Index.self, from: Data(contentsOf: fixture.appendingPathComponent("index.json")))
        let entry = try XCTUnwrap(index.manifests.first)
        try await store.ingest(expected: entry, contentsOf: blob(entry.digest))
        let manifest = try CanonicalJSON.decode(Manifest.self, from: store.read(verifying: entry))
        for descriptor in [manifest.config] + manifest.layers {
            try await store.ingest(expected: descriptor, contentsOf: blob(descriptor.digest))
        }
        try await store.tag(try ref("busybox"), entry)
        return entry
    }

    func testImportedBusyboxPassesCheck() async throws {
        let entry = try await importBusybox()
        let report = try await store.check()
        XCTAssertTrue(report.isHealthy, "\(report.problems)")
        XCTAssertEqual(report.blobsVerified, 3)
        XCTAssertEqual(try store.resolve(try ref("docker.io/library/busybox:latest"))?.digest, entry.digest)
        // The platform from the source index travels with the reference.
        XCTAssertEqual(try store.resolve(try ref("busybox"))?.platform, try Platform(parsing: "linux/amd64"))
    }

    func testCorruptBlobIsReported() async throws {
        let entry = try await importBusybox()
        let manifest = try CanonicalJSON.decode(Manifest.self, from: store.read(entry.digest))
        let layer = try XCTUnwrap(manifest.layers.first)
        let handle = try FileHandle(forWritingTo: store.open(layer.digest))
        try handle.seek(toOffset: 100)
        try handle.write(contentsOf: Data("CORRUPT".utf8))
        try handle.close()

        let report = try await store.check()
        XCTAssertEqual(report.problems.map(\.kind), [.corruptBlob])
        XCTAssertEqual(report.problems.first?.digest, layer.digest)
        XCTAssertTrue(report.problems.first?.message.contains(layer.digest.description) ?? false)
    }

    func testMissingBlobsAreReported() async throws {
        let image = try makeImage(layer: "soon gone")
        try await store.tag(try ref("app"), image.manifest)
        try FileManager.default.removeItem(at: store.open(image.layer.digest))
        var report = try await store.check()
        XCTAssertEqual(report.problems.map(\.kind), [.missingBlob])
        XCTAssertEqual(report.problems.first?.digest, image.layer.digest)

        try FileManager.default.removeItem(at: store.open(image.manifest.digest))
        report = try await store.check()
        XCTAssertEqual(report.problems.map(\.kind), [.missingBlob])
        XCTAssertEqual(report.problems.first?.digest, image.manifest.digest)
        XCTAssertTrue(report.problems.first?.message.contains("docker.io/library/app:latest") ?? false)
    }

    func testStrayTempFilesAreReportedAndCleaned() async throws {
        let stray = store.location.tempDirectory.appendingPathComponent("ingest-crashed")
        try Data("partial".utf8).write(to: stray)
        var report = try await store.check(strayAge: 0)
        XCTAssertEqual(report.problems.map(\.kind), [.strayFile])
        // A young temp file may belong to a running ingest: not reported with the default age.
        report = try await store.check()
        XCTAssertTrue(report.isHealthy)
        report = try await store.check(removingStrayFiles: true, strayAge: 0)
        XCTAssertTrue(report.isHealthy)
        XCTAssertEqual(report.removed, [stray.path])
        XCTAssertEqual(tempNames(), [])
    }

    func testPruneKeepsReferencedAndRemovesUnreferenced() async throws {
        let kept = try makeImage(layer: "kept layer")
        let dropped = try makeImage(layer: "dropped layer")
        let loose = try store.put(bytes: Data("loose".utf8), mediaType: .ociLayer)
        try await store.tag(try ref("kept"), kept.manifest)
        try await store.tag(try ref("dropped"), dropped.manifest)
        try await store.untag(try ref("dropped"))
        let stray = store.location.tempDirectory.appendingPathComponent("ingest-crashed")
        try Data("partial".utf8).write(to: stray)

        let report = try await store.prune(strayAge: 0)
        // The config is shared by both images (same bytes), so it stays.
        XCTAssertEqual(Set(report.removedBlobs), [dropped.manifest.digest, dropped.layer.digest, loose.digest])
        XCTAssertEqual(report.reclaimedBytes, dropped.manifest.size + dropped.layer.size + loose.size)
        XCTAssertEqual(report.removedTempFiles, [stray.path])
        for digest in [kept.manifest.digest, kept.config.digest, kept.layer.digest] {
            XCTAssertTrue(store.contains(digest))
        }
        XCTAssertFalse(store.contains(dropped.layer.digest))
        let check = try await store.check()
        XCTAssertTrue(check.isHealthy, "\(check.problems)")
        // Nothing more to do the second time.
        let again = try await store.prune(strayAge: 0)
        XCTAssertEqual(again.removedBlobs, [])
    }

    func testPruneWalksNestedIndexes() async throws {
        let image = try makeImage(layer: "platform layer")
        var child = image.manifest
        child.platform = try Platform(parsing: "linux/amd64")
        let index = try store.put(bytes: CanonicalJSON.encode(Index(manifests: [child])), mediaType: .ociIndex)
        try await store.tag(try ref("multi"), index)
        let report = try await store.prune()
        XCTAssertEqual(report.removedBlobs, [])
        XCTAssertTrue(store.contains(image.layer.digest))
    }

    func testDiskUsageUniqueAndShared() async throws {
        let one = try makeImage(layer: "layer of one")
        let two = try makeImage(layer: "layer of two!")
        try await store.tag(try ref("one"), one.manifest)
        try await store.tag(try ref("two"), two.manifest)
        _ = try store.put(bytes: Data("unreferenced".utf8), mediaType: .ociLayer)
        let usage = try store.diskUsage()
        XCTAssertEqual(usage.blobCount, 6)
        let sizes = [one.manifest, one.config, one.layer, two.manifest, two.layer].map(\.size).reduce(0, +) + 12
        XCTAssertEqual(usage.totalBlobBytes, sizes)
        XCTAssertEqual(usage.unreferencedBytes, 12)
        let first = try XCTUnwrap(usage.images.first { $0.reference.repository == "library/one" })
        XCTAssertEqual(first.totalSize, one.manifest.size + one.config.size + one.layer.size)
        XCTAssertEqual(first.uniqueSize, one.manifest.size + one.layer.size)
        XCTAssertEqual(first.sharedSize, one.config.size)
    }

    func testSkopeoReadsTheStore() async throws {
        let which = Process()
        which.executableURL = URL(fileURLWithPath: "/bin/sh")
        which.arguments = ["-c", "command -v skopeo"]
        which.standardOutput = Pipe()
        try which.run()
        which.waitUntilExit()
        guard which.terminationStatus == 0 else {
            throw XCTSkip("skopeo is not installed; skipping the OCI interoperability check")
        }
        let entry = try await importBusybox()
        let skopeo = Process()
        let output = Pipe()
        skopeo.executableURL = URL(fileURLWithPath: "/bin/sh")
        skopeo.arguments = ["-c", "skopeo inspect --raw \"oci:$0:docker.io/library/busybox:latest\"", store.location.root.path]
        skopeo.standardOutput = output
        try skopeo.run()
        let raw = output.fileHandleForReading.readDataToEndOfFile()
        skopeo.waitUntilExit()
        XCTAssertEqual(skopeo.terminationStatus, 0)
        XCTAssertEqual(Digest.sha256(of: raw), entry.digest)
    }
}
