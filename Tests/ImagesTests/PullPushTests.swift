import Distribution
import Foundation
import ImageSpec
import ImageStore
import Images
import TestVectors
import XCTest

/// ImageService against a real registry (Debian's docker-registry) on 127.0.0.1:5101.
final class PullPushTests: ImagesTestCase {
    static let host = "127.0.0.1:5101"

    func testPullBusyboxIntoEmptyStoreThenSnapshots() async throws {
        try requireRegistry(5101)
        let progress = RecordingProgress()
        let service = try makeService(progress: progress)
        let reference = try ImageReference(parsing: "\(Self.host)/busybox:latest")
        let result = try await service.pullImage(reference, platform: Platform(parsing: "linux/amd64"))
        XCTAssertTrue(result.downloadedNewer)
        XCTAssertEqual(result.image.manifestDescriptor.digest, try busyboxManifestDigest)
        XCTAssertEqual(result.image.references, [reference])
        for blob in [result.image.configDescriptor] + result.image.manifest.layers {
            XCTAssertTrue(service.store.contains(blob.digest))
        }
        XCTAssertEqual(Set(progress.outcomes().values), [.downloaded])
        // Each layer was decompressed once, into its snapshot (its diff ID checked on the way).
        for chainID in ChainID.computeAll(diffIDs: result.image.config.rootfs.diffIDs) {
            XCTAssertTrue(service.store.hasSnapshot(chainID), "no snapshot \(chainID) after the pull")
        }

        // Found by reference (familiar and full), by ID, by ID prefix with and without sha256:.
        let id = result.image.id
        for name in ["\(Self.host)/busybox", reference.description, id.description, String(id.hex.prefix(12)), "sha256:" + id.hex.prefix(8)] {
            let found = try await service.localImage(name)
            XCTAssertEqual(found?.id, id, name)
        }
        let none = try await service.localImage("nosuchimage")
        XCTAssertNil(none)
        let all = try await service.images()
        XCTAssertEqual(all.map(\.id), [id])

        // Second pull: up to date, nothing downloaded.
        let again = RecordingProgress()
        let second = try await ImageService(store: service.store, registry: service.registry, progress: again).pullImage(reference, platform: .host)
        XCTAssertFalse(second.downloadedNewer)
        XCTAssertEqual(Set(again.outcomes().values), [.alreadyExists])

        // Snapshots: one per layer, busybox inside, reused on a second call.
        let snapshots = try await service.snapshots(for: result.image)
        XCTAssertEqual(snapshots.count, result.image.manifest.layers.count)
        XCTAssertTrue(FileManager.default.fileExists(atPath: snapshots[0].appendingPathComponent("bin/busybox").path))
        let chainIDs = ChainID.computeAll(diffIDs: result.image.config.rootfs.diffIDs)
        XCTAssertEqual(snapshots, chainIDs.map { service.store.snapshotPath($0) })
        let reused = try await service.snapshots(for: result.image)
        XCTAssertEqual(reused, snapshots)

        let report = try await service.store.check()
        XCTAssertTrue(report.isHealthy, "\(report.problems)")
    }

    func testConcurrentSnapshotsAreSafe() async throws {
        try requireRegistry(5101)
        let service = try makeService()
        let image = try await service.pull(ImageReference(parsing: "\(Self.host)/busybox"), platform: .host)
        let results = try await withThrowingTaskGroup(of: [URL].self) { group in
            for _ in 0..<4 { group.addTask { try await service.snapshots(for: image) } }
            var all: [[URL]] = []
            for try await urls in group { all.append(urls) }
            return all
        }
        XCTAssertEqual(Set(results).count, 1)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: service.store.location.tempDirectory.path).filter { $0.hasPrefix("snapshot-") }
        XCTAssertEqual(leftovers, [])
    }

    func testPushDerivedImageMountsBaseAndSecondPullFetchesOnlyNewLayer() async throws {
        try requireRegistry(5101)
        let repo = "derived-\(UUID().uuidString.prefix(8).lowercased())"
        let builder = try makeService("builder")
        let base = try await builder.pull(ImageReference(parsing: "\(Self.host)/busybox:latest"), platform: .host)
        let target = try ImageReference(parsing: "\(Self.host)/\(repo):v1")
        let derived = try await builder.makeDerivedImageHelper(self, base: base, reference: target)

        let pushProgress = RecordingProgress()
        let pusher = ImageService(store: builder.store, registry: builder.registry, progress: pushProgress)
        let digest = try await pusher.push(derived, to: target)
        XCTAssertEqual(digest, derived.manifestDescriptor.digest)
        let outcomes = pushProgress.outcomes()
        XCTAssertEqual(outcomes[base.manifest.layers[0].digest], .mounted(from: "busybox"))
        XCTAssertEqual(outcomes[derived.manifest.layers.last!.digest], .pushed)

        // Pushing again: every layer exists.
        let again = RecordingProgress()
        _ = try await ImageService(store: builder.store, registry: builder.registry, progress: again).push(derived, to: target)
        XCTAssertEqual(Set(again.outcomes().values), [.alreadyExists])

        // A fresh store with busybox: pulling the derived image downloads only the new layer.
        let progress = RecordingProgress()
        let consumer = try makeService("consumer")
        _ = try await consumer.pull(ImageReference(parsing: "\(Self.host)/busybox:latest"), platform: .host)
        let pulled = try await ImageService(store: consumer.store, registry: consumer.registry, progress: progress).pull(target, platform: .host)
        XCTAssertEqual(pulled.id, derived.id)
        let downloaded = progress.outcomes().filter { $0.value == .downloaded }.map(\.key)
        XCTAssertEqual(downloaded, [derived.manifest.layers.last!.digest])
        XCTAssertEqual(progress.outcomes()[base.manifest.layers[0].digest], .alreadyExists)

        // Snapshots of the derived image share the base's.
        let baseSnapshots = try await consumer.snapshots(for: base)
        let derivedSnapshots = try await consumer.snapshots(for: pulled)
        XCTAssertEqual(Array(derivedSnapshots.prefix(baseSnapshots.count)), baseSnapshots)
        XCTAssertTrue(FileManager.default.fileExists(atPath: derivedSnapshots.last!.appendingPathComponent("hello.txt").path))

        // skopeo reads what was pushed, and the store as an OCI layout.
        guard shell("command -v skopeo").status == 0 else { throw XCTSkip("skopeo not installed") }
        let inspect = shell("skopeo inspect --tls-verify=false docker://\(Self.host)/\(repo):v1")
        XCTAssertEqual(inspect.status, 0, inspect.output)
        XCTAssertTrue(inspect.output.contains(digest.description), inspect.output)
        let local = shell("skopeo inspect \(quoted("oci:" + consumer.store.location.root.path + ":" + target.description))")
        XCTAssertEqual(local.status, 0, local.output)
        XCTAssertTrue(local.output.contains(derived.manifest.layers.last!.digest.description), local.output)
        let copyDir = root.appendingPathComponent("copied").path
        let copy = shell("skopeo copy -q --src-tls-verify=false docker://\(Self.host)/\(repo):v1 \(quoted("oci:" + copyDir + ":v1"))")
        XCTAssertEqual(copy.status, 0, copy.output)
        let copiedManifest = try Data(contentsOf: URL(fileURLWithPath: copyDir + "/blobs/sha256/" + digest.hex))
        XCTAssertEqual(copiedManifest, try builder.store.read(digest))
    }

    func testRemoveUntagsThenDeletes() async throws {
        try requireRegistry(5101)
        let service = try makeService()
        let reference = try ImageReference(parsing: "\(Self.host)/busybox:latest")
        let image = try await service.pull(reference, platform: .host)
        let other = try ImageReference(parsing: "example.com/copy:1")
        try await service.store.tag(other, image.manifestDescriptor)
        let tagged = try await service.localImage(image.id.description)
        XCTAssertEqual(tagged?.references.count, 2)

        do {
            _ = try await service.remove(String(image.id.hex.prefix(12)), force: false)
            XCTFail("removing by ID an image in two repositories needs --force")
        } catch let error as ImagesError {
            XCTAssertEqual(error.code, .conflict)
        }
        let first = try await service.remove("example.com/copy:1", force: false)
        XCTAssertEqual(first, [.untagged("example.com/copy:1")])
        XCTAssertTrue(service.store.contains(image.manifest.layers[0].digest))
        _ = try await service.snapshots(for: image)
        let second = try await service.remove("\(Self.host)/busybox", force: false)
        XCTAssertEqual(second.first, .untagged("\(Self.host)/busybox:latest"))
        XCTAssertEqual(second.last, .deleted(image.id))
        XCTAssertFalse(service.store.contains(image.manifest.layers[0].digest))
        XCTAssertEqual(service.store.snapshots(), [])
        do {
            _ = try await service.remove("\(Self.host)/busybox", force: false)
            XCTFail("no such image")
        } catch let error as ImagesError {
            XCTAssertEqual(error.code, .noSuchImage)
        }
    }
}

extension ImageService {
    func makeDerivedImageHelper(_ test: ImagesTestCase, base: LocalImage, reference: ImageReference) async throws -> LocalImage {
        try await test.makeDerivedImage(self, base: base, reference: reference)
    }
}
