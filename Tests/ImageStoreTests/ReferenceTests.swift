import Foundation
import XCTest
import ImageSpec
@testable import ImageStore

final class ReferenceTests: StoreTestCase {
    func testTagResolveUntag() async throws {
        let image = try makeImage(layer: "layer one")
        let alpine = try ref("alpine")
        XCTAssertNil(try store.resolve(alpine))
        try await store.tag(alpine, image.manifest)
        let resolved = try XCTUnwrap(try store.resolve(alpine))
        XCTAssertEqual(resolved.digest, image.manifest.digest)
        XCTAssertEqual(resolved.referenceName, "docker.io/library/alpine:latest")
        // The familiar and full spellings name the same image.
        XCTAssertEqual(try store.resolve(try ref("docker.io/library/alpine:latest"))?.digest, image.manifest.digest)
        XCTAssertNil(try store.resolve(try ref("alpine:3.20")))

        let removed = try await store.untag(alpine)
        XCTAssertTrue(removed)
        XCTAssertNil(try store.resolve(alpine))
        let removedAgain = try await store.untag(alpine)
        XCTAssertFalse(removedAgain)
        // Untagging keeps the blobs until prune.
        XCTAssertTrue(store.contains(image.manifest.digest))
    }

    func testRetagReplacesAndListIsSorted() async throws {
        let one = try makeImage(layer: "one")
        let two = try makeImage(layer: "two")
        try await store.tag(try ref("example.com/app:v1"), one.manifest)
        try await store.tag(try ref("busybox"), one.manifest)
        try await store.tag(try ref("example.com/app:v1"), two.manifest)
        let listed = try store.list()
        XCTAssertEqual(listed.map(\.reference.description), ["docker.io/library/busybox:latest", "example.com/app:v1"])
        XCTAssertEqual(listed.map(\.descriptor.digest), [one.manifest.digest, two.manifest.digest])
        XCTAssertEqual(try store.readIndex().manifests.count, 2)
    }

    func testTagNeedsThePresentBlob() async throws {
        let absent = Descriptor(mediaType: .ociManifest, content: Data("nope".utf8))
        let error = await assertStoreError { try await self.store.tag(try self.ref("alpine"), absent) }
        XCTAssertEqual(error?.code, .blobNotFound)
    }

    func testIndexJSONIsValidOCI() async throws {
        let image = try makeImage(layer: "layer")
        var descriptor = image.manifest
        descriptor.platform = try Platform(parsing: "linux/arm64")
        try await store.tag(try ref("localhost:5000/team/app@\(image.manifest.digest)"), descriptor)
        try await store.tag(try ref("alpine:3.20"), image.manifest)
        let bytes = try Data(contentsOf: store.location.indexFile)
        let index = try JSONBlob<Index>(bytes: bytes).value
        XCTAssertEqual(index.schemaVersion, 2)
        XCTAssertEqual(index.mediaType, .ociIndex)
        XCTAssertEqual(Set(index.manifests.compactMap(\.referenceName)), [
            "localhost:5000/team/app@\(image.manifest.digest)", "docker.io/library/alpine:3.20",
        ])
        XCTAssertEqual(index.manifests.first { $0.platform != nil }?.platform, try Platform(parsing: "linux/arm64"))
        // Plain JSON readers agree.
        let raw = try XCTUnwrap(JSONSerialization.jsonObject(with: bytes) as? [String: Any])
        XCTAssertEqual(raw["schemaVersion"] as? Int, 2)
        XCTAssertEqual((raw["manifests"] as? [Any])?.count, 2)
        // No draft left behind.
        XCTAssertEqual(tempNames(), [])
    }

    func testTwoStoresOnOneRootShareReferences() async throws {
        let other = try ContentStore(root: tempRoot)
        let image = try makeImage(layer: "shared")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<20 {
                let target = i.isMultiple(of: 2) ? store! : other
                group.addTask { try await target.tag(try ImageReference(parsing: "app:\(i)"), image.manifest) }
            }
            try await group.waitForAll()
        }
        XCTAssertEqual(try store.list().count, 20, "no update may be lost when two stores write one index.json")
    }
}

final class ForeignEntryTests: StoreTestCase {
    /// An entry another OCI tool wrote (ref name `latest`, not a kiln reference) is listed by no one
    /// but still keeps its blobs alive, and survives kiln's own index updates.
    func testForeignEntryIsKeptAndSurvivesUpdates() async throws {
        let image = try makeImage(layer: "foreign")
        var entry = image.manifest
        entry.annotations = [Descriptor.refNameAnnotation: "latest"]
        try await store.updateIndex { $0.manifests.append(entry) }
        XCTAssertEqual(try store.list().count, 0)

        let other = try makeImage(layer: "ours")
        try await store.tag(try ref("ours"), other.manifest)
        let report = try await store.prune()
        XCTAssertEqual(report.removedBlobs, [])
        XCTAssertEqual(try store.readIndex().manifests(named: "latest").map(\.digest), [image.manifest.digest])
        XCTAssertEqual(try store.diskUsage().unreferencedBytes, 0)
    }
}
