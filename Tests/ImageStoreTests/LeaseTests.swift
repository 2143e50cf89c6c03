import Foundation
import XCTest
import ImageSpec
@testable import ImageStore

/// Issue 14: `kiln rmi`/`kiln prune -f` during a build or a pull must not delete what that other
/// process uses or has made but not tagged yet. Each store instance holds what it ingests (and
/// what it is told to hold) in a lease file; prune and snapshot removal honour the leases of
/// other instances whose process is alive. Temp files of killed processes go at the next start.
final class LeaseTests: StoreTestCase {
    func testBlobIngestedByAnotherProcessIsKeptUntilItIsReleased() async throws {
        var builder: ContentStore? = try ContentStore(root: tempRoot)
        let layer = try builder!.put(bytes: Data("a layer a build just committed".utf8), mediaType: .ociLayerGzip)
        let kept = try await store.prune(strayAge: 0)
        XCTAssertFalse(kept.removedBlobs.contains(layer.digest), "a live build's untagged layer must survive a prune")
        XCTAssertTrue(store.contains(layer.digest))
        builder = nil  // the build ends without tagging it: now it is garbage
        let removed = try await store.prune(strayAge: 0)
        XCTAssertEqual(removed.removedBlobs, [layer.digest])
        _ = builder
    }

    /// A blob moved into place by `adoptBlob` (a build's committed layer, an export's compressed
    /// variant) is held like an ingested one: a prune in another process right after cannot take it.
    func testAdoptedBlobIsHeldAgainstAConcurrentPrune() async throws {
        var builder: ContentStore? = try ContentStore(root: tempRoot)
        let bytes = Data("a RUN step's layer".utf8)
        let (fd, temp) = try builder!.makeBlobTempFile("layer")
        XCTAssertEqual(bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }, bytes.count)
        close(fd)
        let descriptor = Descriptor(mediaType: .ociLayer, digest: Digest.sha256(of: bytes), size: Int64(bytes.count))
        try builder!.adoptBlob(temp, as: descriptor)
        let kept = try await store.prune(strayAge: 0)
        XCTAssertFalse(kept.removedBlobs.contains(descriptor.digest), "a live build's just-committed layer was pruned")
        builder = nil
        let removed = try await store.prune(strayAge: 0)
        XCTAssertEqual(removed.removedBlobs, [descriptor.digest])
        _ = builder
    }

    /// The 100-iteration fault loop found `kiln/tmp/layer-<random>` files of SIGKILLed builds that no
    /// start removed: a blob temp file names its owner, so a dead owner's file is abandoned scratch.
    func testBlobTempFilesNameTheirOwnerSoAKilledProcessesFileIsRemoved() throws {
        let (fd, url) = try store.makeBlobTempFile("layer")
        close(fd)
        XCTAssertEqual(ContentStore.scratchOwner(url.lastPathComponent), getpid())
        XCTAssertTrue(ContentStore.isInUse(url), "a live process's temp file was taken for abandoned")
        XCTAssertFalse(store.removeAbandonedScratch().contains(url.path))
        // The same file as a dead process would have left it.
        let dead = url.deletingLastPathComponent().appendingPathComponent("layer-\(Int32.max - 1)-\(UInt64.random(in: 0...UInt64.max))")
        XCTAssertEqual(rename(url.path, dead.path), 0)
        XCTAssertTrue(store.removeAbandonedScratch().contains(dead.path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dead.path))
    }

    /// The 100-iteration stress run left a killed build's `run-*` folder behind while another
    /// process had been given its pid: a name carries its owner's start time too, so a live process
    /// with the same pid but another start is not the owner.
    func testAScratchFolderWhosePidWasReusedIsAbandoned() throws {
        let mine = try store.makeScratchDirectory("run")
        XCTAssertEqual(ContentStore.scratchOwnerAndStart(mine.lastPathComponent)?.pid, getpid())
        XCTAssertNotNil(ContentStore.scratchOwnerAndStart(mine.lastPathComponent)?.start)
        XCTAssertTrue(ContentStore.isInUse(mine))
        XCTAssertFalse(store.removeAbandonedScratch().contains(mine.path))
        // The same pid (alive: this process) with another start time: a dead owner whose pid was reused.
        let start = try XCTUnwrap(ContentStore.ownStart)
        let reused = mine.deletingLastPathComponent().appendingPathComponent("run-\(getpid())-s\(start + 1)-\(UInt64.random(in: 0...UInt64.max))")
        XCTAssertEqual(rename(mine.path, reused.path), 0)
        XCTAssertFalse(ContentStore.isInUse(reused))
        XCTAssertTrue(store.removeAbandonedScratch().contains(reused.path))
        // Names without a start time (older kiln) still go by the pid alone.
        XCTAssertEqual(ContentStore.scratchOwnerAndStart("run-\(getpid())-12345")?.pid, getpid())
        XCTAssertNil(ContentStore.scratchOwnerAndStart("run-\(getpid())-12345")?.start)
    }

    func testHeldBaseImageBlobsAreKeptAfterTheirTagIsRemoved() async throws {
        let image = try makeImage(layer: "base layer")
        try await store.tag(try ImageReference(parsing: "base:1"), image.manifest)
        let build = try ContentStore(root: tempRoot)
        try build.hold(blobs: [image.manifest.digest, image.config.digest, image.layer.digest])
        try await store.untag(try ImageReference(parsing: "base:1"))  // kiln rmi base:1 meanwhile
        let report = try await store.prune(strayAge: 0)
        XCTAssertEqual(report.removedBlobs, [], "the build FROM base:1 still uses them")
        withExtendedLifetime(build) {}
    }

    func testHeldSnapshotIsNotRemovedAsUnused() async throws {
        let chainID = Digest.sha256(of: Data("chain".utf8))
        let temp = try store.prepareSnapshot(chainID)
        try store.commitSnapshot(chainID, from: temp)
        let build = try ContentStore(root: tempRoot)
        try build.hold(snapshots: [chainID])
        var removed = try await store.removeSnapshots(keeping: [])
        XCTAssertEqual(removed, [], "a running build's snapshot stays")
        XCTAssertTrue(store.hasSnapshot(chainID))
        withExtendedLifetime(build) {}
        _ = consume build
        removed = try await store.removeSnapshots(keeping: [])
        XCTAssertEqual(removed, [chainID])
    }

    func testLeaseOfAProcessThatIsGoneIsIgnoredAndDeleted() async throws {
        // Written by an instance that is gone by now; only the dead process's lease names it.
        let blob = try ContentStore(root: tempRoot).put(bytes: Data("held by a killed pull".utf8), mediaType: .ociLayerGzip)
        let leases = store.location.leasesDirectory
        try FileManager.default.createDirectory(at: leases, withIntermediateDirectories: true)
        let dead = leases.appendingPathComponent("\(Int32.max - 7)-42")
        try Data("blob \(blob.digest)\n".utf8).write(to: dead)
        let report = try await store.prune(strayAge: 0)
        XCTAssertEqual(report.removedBlobs, [blob.digest], "a dead owner holds nothing")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dead.path), "its lease file is deleted")
    }

    func testPartialBlobOfAKilledProcessIsRemovedAtTheNextStart() throws {
        let tmp = store.location.tempDirectory
        let dead = tmp.appendingPathComponent("ingest-0123456789abcdef-\(Int32.max - 7)-12345")
        let live = tmp.appendingPathComponent("ingest-0123456789abcdef-\(getpid())-12345")
        try Data("partial".utf8).write(to: dead)
        try Data("partial".utf8).write(to: live)
        _ = try ContentStore(root: tempRoot)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dead.path), "a killed pull's partial blob goes at the next start")
        XCTAssertTrue(FileManager.default.fileExists(atPath: live.path), "a running ingest's file stays")
    }
}
