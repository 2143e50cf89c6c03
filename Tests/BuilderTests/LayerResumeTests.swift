@testable import Builder
import Distribution
import Foundation
import ImageSpec
import ImageStore
import Images
import LayerArchive
import XCTest

/// A rebuilt context COPY writes and hashes its layer only from the first changed entry on
/// (``LayerResume``): the earlier blob's prefix is copied and its SHA-256 resumed. Whatever
/// changed — a file at the start, middle or end, a file added or removed, only a header — the
/// layer, diff IDs and SOURCE_DATE_EPOCH image ID are those of a build in an empty store, and a
/// pruned blob or a damaged record only costs a whole write.
final class LayerResumeTests: BuilderTestCase {
    private let epoch = ["SOURCE_DATE_EPOCH": "1700000000"]
    private let dockerfile = "FROM scratch\nCOPY . /app/\n"

    /// Lets the context's last change age past the settle window of ctimes (100 ms).
    private func settle() { usleep(250_000) }

    /// Builds, and returns the result and the entry the COPY layer's hashing started from (0: from
    /// the start); `read` (when given) is set to the number of entries read from their files.
    private func build(in service: ImageService, read: UnsafeMutablePointer<Int>? = nil) async throws -> (result: BuildResult, resumedAt: Int) {
        let trace = root.appendingPathComponent("trace-\(UUID().uuidString).json")
        var options = BuildOptions(dockerfileText: dockerfile, contextDirectory: context.path)
        options.buildArgs = epoch
        options.adoptSourceDateEpoch(fromEnvironment: epoch)
        options.tracePath = trace.path
        let result = try await Builder(options: options, images: service, progress: BuildProgress(mode: .quiet)).build()
        let events = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: trace)) as? [[String: Any]])
        let commit = try XCTUnwrap(events.first { ($0["name"] as? String) == "commit" && (($0["args"] as? [String: Any])?["step"] as? String)?.contains("COPY") == true },
                                   "no commit event for the COPY step")
        let detail = try XCTUnwrap((commit["args"] as? [String: Any])?["detail"] as? String, "the COPY commit has no resume detail")
        let words = detail.split(separator: " ")
        let number = words.dropFirst(3).first.flatMap { Int($0) }
        if let read, let at = words.firstIndex(of: "entries") { read.pointee = Int(words[at - 1]) ?? -1 }
        return (result, try XCTUnwrap(number, "unexpected detail: \(detail)"))
    }

    /// The same context built in an empty store: the layer and the image must be the same.
    private func assertFreshStoreAgrees(_ result: BuildResult, _ what: String, file: StaticString = #filePath, line: UInt = #line) async throws {
        let store = try ContentStore(root: root.appendingPathComponent("fresh-store-\(UUID().uuidString)"))
        let fresh = try await build(in: ImageService(store: store, registry: registry, progress: SilentProgress())).result
        XCTAssertEqual(result.config.rootfs.diffIDs, fresh.config.rootfs.diffIDs, "\(what): diff IDs", file: file, line: line)
        XCTAssertEqual(result.manifest.layers.map(\.digest), fresh.manifest.layers.map(\.digest), "\(what): layers", file: file, line: line)
        XCTAssertEqual(result.id, fresh.id, "\(what): image ID", file: file, line: line)
        // The stored blob is what its digest says.
        let layer = try XCTUnwrap(result.manifest.layers.last)
        let bytes = try Data(contentsOf: try service.store.open(layer.digest))
        var digester = Digester()
        digester.update(bytes)
        XCTAssertEqual(digester.finalize(), layer.digest, "\(what): the blob's bytes", file: file, line: line)
        XCTAssertEqual(Int64(bytes.count), layer.size, "\(what): the blob's size", file: file, line: line)
    }

    /// Six 1.1 MB files (so hash states are saved between them: one every MB) and small files around them.
    private func makeContext() throws {
        try write("0-first.txt", "first\n")
        for i in 0..<6 { try writeBig("big/\(i).bin", seed: UInt8(i)) }
        try write("m/middle.txt", "middle\n")
        try write("z-last.txt", "last\n")
    }

    private func writeBig(_ name: String, seed: UInt8, size: Int = 1_100_000) throws {
        let url = context.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed) &* 7) }).write(to: url)
    }

    func testChangesAtTheStartMiddleAndEndGiveTheEmptyStoresLayer() async throws {
        try makeContext()
        settle()
        let (first, firstStart) = try await build(in: service)
        XCTAssertEqual(firstStart, 0)
        try await assertFreshStoreAgrees(first, "first build")

        try writeBig("big/3.bin", seed: 99)  // same size, other content
        settle()
        var read = 0
        let (middle, middleStart) = try await build(in: service, read: &read)
        XCTAssertEqual(read, 1, "only the changed file is read")
        XCTAssertGreaterThan(middleStart, 0, "a change in the middle was not resumed")
        XCTAssertNotEqual(middle.id, first.id)
        try await assertFreshStoreAgrees(middle, "middle changed")

        try write("z-last.txt", "last, longer\n")
        settle()
        let (end, endStart) = try await build(in: service)
        XCTAssertGreaterThan(endStart, middleStart, "a change at the end resumed no later than one in the middle")
        try await assertFreshStoreAgrees(end, "last file changed")
        XCTAssertEqual(try file("app/z-last.txt", in: end), "last, longer\n")

        try write("0-first.txt", "FIRST\n")
        settle()
        let (start, startStart) = try await build(in: service, read: &read)
        XCTAssertEqual(startStart, 0, "a change in the first file must hash the layer from its start")
        XCTAssertEqual(read, 1, "the other entries are copied from the earlier blob")
        try await assertFreshStoreAgrees(start, "first file changed")
    }

    func testAddedRemovedAndHeaderOnlyChanges() async throws {
        try makeContext()
        settle()
        _ = try await build(in: service)

        try writeBig("big/3a.bin", seed: 42)
        settle()
        var read = 0
        let (added, addedStart) = try await build(in: service, read: &read)
        XCTAssertGreaterThan(addedStart, 0)
        XCTAssertEqual(read, 1, "only the added file is read")
        try await assertFreshStoreAgrees(added, "file added")

        try FileManager.default.removeItem(at: context.appendingPathComponent("big/4.bin"))
        settle()
        let (removed, removedStart) = try await build(in: service, read: &read)
        XCTAssertGreaterThan(removedStart, 0)
        XCTAssertEqual(read, 0, "a removal reads nothing")
        try await assertFreshStoreAgrees(removed, "file removed")

        // Only the mode: the header differs, the content does not.
        XCTAssertEqual(chmod(context.appendingPathComponent("big/5.bin").path, 0o600), 0)
        settle()
        let (mode, modeStart) = try await build(in: service)
        XCTAssertGreaterThan(modeStart, 0)
        XCTAssertNotEqual(mode.id, removed.id)
        try await assertFreshStoreAgrees(mode, "mode changed")
    }

    func testPrunedBlobAndDamagedRecordsWriteTheLayerWhole() async throws {
        try makeContext()
        settle()
        let (first, _) = try await build(in: service)

        // The earlier blob is gone (pruned): written whole, still right.
        let layer = try XCTUnwrap(first.manifest.layers.last)
        XCTAssertEqual(unlink(try service.store.open(layer.digest).path), 0)
        try writeBig("big/4.bin", seed: 77)
        settle()
        var read = 0
        let (pruned, prunedStart) = try await build(in: service, read: &read)
        XCTAssertEqual(prunedStart, 0, "resumed from a blob that is gone")
        XCTAssertEqual(read, 12, "copied from a blob that is gone (all 12 entries are read)")
        try await assertFreshStoreAgrees(pruned, "earlier blob pruned")

        let records = service.store.buildCacheDirectory.appendingPathComponent("layer-resume")
        let names = try FileManager.default.contentsOfDirectory(atPath: records.path).filter { !$0.hasPrefix(".") }
        XCTAssertEqual(names.count, 1)
        let record = records.appendingPathComponent(names[0])

        // One flipped byte in the middle (a fingerprint or a hash state): not trusted.
        var bytes = try [UInt8](Data(contentsOf: record))
        bytes[bytes.count / 2] ^= 0xff
        try Data(bytes).write(to: record)
        try writeBig("big/5.bin", seed: 78)
        settle()
        let (damaged, damagedStart) = try await build(in: service, read: &read)
        XCTAssertEqual(damagedStart, 0, "resumed from a damaged record")
        XCTAssertEqual(read, 12, "copied by a damaged record")
        try await assertFreshStoreAgrees(damaged, "record damaged")

        // Cut short: not trusted either.
        let whole = try Data(contentsOf: record)
        try whole.prefix(whole.count / 3).write(to: record)
        try write("z-last.txt", "cut\n")
        settle()
        let (torn, tornStart) = try await build(in: service)
        XCTAssertEqual(tornStart, 0, "resumed from a torn record")
        try await assertFreshStoreAgrees(torn, "record torn")

        // And the record written by that whole write is used again.
        try write("z-last.txt", "again\n")
        settle()
        let (again, againStart) = try await build(in: service)
        XCTAssertGreaterThan(againStart, 0)
        try await assertFreshStoreAgrees(again, "after a whole write")
    }

    /// A regular file whose stamp is missing or inside the settle window (its ctime less than
    /// 100 ms before the layer was written: a second write in the same clock tick could hide behind
    /// it) gets a fingerprint that never matches, so the next build rewrites from it on; a settled
    /// one matches itself and nothing with another header or stamp.
    func testUnsettledOrUnstampedFilesNeverMatch() throws {
        var header = TarHeader(path: "app/a", type: .regular, size: 3, modificationTime: TarTime(seconds: 1_700_000_000))
        let stamp = ContentStamp(device: 1, inode: 2, size: 3, modified: 4_000, changed: 5_000)
        var fingerprints: [UInt8] = []
        try LayerResume.appendFingerprint(of: header, stamp: stamp, settledBefore: 5_001, into: &fingerprints)
        let record = LayerResume.Record(blob: Digest("sha256:" + String(repeating: "a", count: 64))!, size: 2048,
                                        fingerprints: fingerprints, offsets: [0], checkpoints: [])
        XCTAssertTrue(LayerResume.matches(record, entry: 0, fingerprints, at: 0))

        func fingerprint(_ header: TarHeader, _ stamp: ContentStamp?, settledBefore: Int64 = 5_001) throws -> [UInt8] {
            var bytes: [UInt8] = []
            try LayerResume.appendFingerprint(of: header, stamp: stamp, settledBefore: settledBefore, into: &bytes)
            return bytes
        }
        XCTAssertEqual(try fingerprint(header, stamp, settledBefore: 5_000), Array(repeating: 0, count: 32), "unsettled")
        XCTAssertEqual(try fingerprint(header, nil), Array(repeating: 0, count: 32), "no stamp")
        let unsettled = LayerResume.Record(blob: record.blob, size: 2048, fingerprints: Array(repeating: 0, count: 32), offsets: [0], checkpoints: [])
        XCTAssertFalse(LayerResume.matches(unsettled, entry: 0, Array(repeating: 0, count: 32), at: 0), "an all-zero fingerprint matched")
        var other = stamp
        other.changed = 4_999
        XCTAssertFalse(LayerResume.matches(record, entry: 0, try fingerprint(header, other), at: 0), "another stamp matched")
        header.mode = 0o600
        XCTAssertFalse(LayerResume.matches(record, entry: 0, try fingerprint(header, stamp), at: 0), "another header matched")
        XCTAssertFalse(LayerResume.matches(record, entry: 1, fingerprints, at: 0), "an entry past the record matched")
    }
}
