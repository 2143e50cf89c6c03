import Builder
import Foundation
import ImageSpec
import ImageStore
import LayerArchive
import XCTest

/// A RUN's snapshot takes its files from the overlay upper directory by rename; it must be the
/// same tree an unpack of the layer gives (content, modes, owners, times, xattrs, links), with
/// none of overlayfs' own xattrs.
final class RunSnapshotTests: BuilderTestCase {
    /// Each path below `root` with its type, mode, owner, mtime, size, link count, content digest
    /// and xattrs.
    private func listing(_ root: String) throws -> [String: String] {
        var result: [String: String] = [:]
        let walker = FileManager.default.enumerator(atPath: root)!
        while let relative = walker.nextObject() as? String {
            let path = root + "/" + relative
            var info = stat()
            XCTAssertEqual(lstat(path, &info), 0)
            // A whiteout (0/0 character device) is dated when it is made, by either path.
            let time = info.st_mode & S_IFMT == S_IFCHR ? "-" : "\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
            var line = "\(info.st_mode) \(info.st_uid):\(info.st_gid) \(time) \(info.st_size) \(info.st_nlink)"
            if info.st_mode & S_IFMT == S_IFREG {
                line += " " + Digest.sha256(of: try Data(contentsOf: URL(fileURLWithPath: path))).description
            }
            for name in try Xattrs.list(path) {
                line += " \(name)=\(try Xattrs.get(path, name) ?? [])"
            }
            result[relative] = line
        }
        return result
    }

    func testRunSnapshotIsTheUnpackedLayer() async throws {
        try requireContainers()
        _ = try await loadBusybox()
        let dockerfile = """
            FROM kiln-test/busybox:latest
            RUN head -c 300000 /dev/urandom > /big && echo hi > /small && ln /small /linked && chmod 4755 /big \\
                && mkdir -p /d/e && echo deep > /d/e/f && rm /etc/group
            """
        let (result, _) = try await build(dockerfile) { $0.buildArgs["SOURCE_DATE_EPOCH"] = "10" }
        let chainID = try XCTUnwrap(ChainID.computeAll(diffIDs: result.config.rootfs.diffIDs).last)
        let snapshot = service.store.snapshotPath(chainID).path
        let made = try listing(snapshot)
        XCTAssertEqual(made["big"]?.hasPrefix("\(S_IFREG | 0o4755) 0:0 10.0 300000 1"), true, made["big"] ?? "missing")
        XCTAssertEqual(made["small"]?.contains(" 2 "), true, "hard link kept: \(made["small"] ?? "missing")")
        XCTAssertFalse(made.values.contains { $0.contains("trusted.overlay.origin") || $0.contains("trusted.overlay.impure") },
                       "\(made)")

        let unpacked = root.appendingPathComponent("unpacked").path
        try FileManager.default.createDirectory(atPath: unpacked, withIntermediateDirectories: true)
        let blob = try service.store.open(try XCTUnwrap(result.manifest.layers.last).digest)
        try LayerApplier(target: unpacked, options: LayerApplyOptions(whiteouts: .overlayMarkers)).apply(blobFile: blob.path)
        XCTAssertEqual(made, try listing(unpacked))
    }

    /// A RUN layer of a few large files is written with O_DIRECT (LayerCommitter.writesDirect):
    /// the stored blob is its digest's bytes, zero runs are holes, and the snapshot is the unpack.
    func testLargeFileRunLayerWrittenDirectIsTheUnpackedLayer() async throws {
        try requireContainers()
        _ = try await loadBusybox()
        let dockerfile = """
            FROM kiln-test/busybox:latest
            RUN head -c 9000001 /dev/urandom > /big && head -c 8388608 /dev/zero > /zeros && echo tail >> /zeros
            """
        let (result, _) = try await build(dockerfile)
        let layer = try XCTUnwrap(result.manifest.layers.last)
        let blob = try service.store.open(layer.digest)
        let stored = try Data(contentsOf: blob)
        XCTAssertEqual(Digest.sha256(of: stored), layer.digest)
        XCTAssertEqual(Int64(stored.count), layer.size)
        var info = stat()
        XCTAssertEqual(stat(blob.path, &info), 0)
        XCTAssertLessThan(Int64(info.st_blocks) * 512, layer.size - 8_000_000, "the zero run should be a hole")

        let chainID = try XCTUnwrap(ChainID.computeAll(diffIDs: result.config.rootfs.diffIDs).last)
        let made = try listing(service.store.snapshotPath(chainID).path)
        let unpacked = root.appendingPathComponent("unpacked-direct").path
        try FileManager.default.createDirectory(atPath: unpacked, withIntermediateDirectories: true)
        try LayerApplier(target: unpacked, options: LayerApplyOptions(whiteouts: .overlayMarkers)).apply(blobFile: blob.path)
        XCTAssertEqual(made, try listing(unpacked))
        XCTAssertEqual(made["big"]?.contains(" 9000001 1 "), true, made["big"] ?? "missing")
    }

    /// A RUN output with every kind of entry the snapshot takes by rename or creates: a large file
    /// (hashed on the second core while written), a zero-filled one (holes in the blob), owners,
    /// modes, times, a capability xattr kept through copy-up, hard links across folders, a symlink,
    /// a fifo, whiteouts of a file and a folder, and an opaque folder (removed and made again).
    /// The snapshot must be the tree an unpack of the stored blob gives, entry for entry.
    func testRunSnapshotWithEveryKindOfEntryIsTheUnpackedLayer() async throws {
        try requireContainers()
        _ = try await loadBusybox()
        try write("capped", "has a capability\n")
        try write("tree/old/a", "a\n")
        try write("tree/old/b", "b\n")
        try write("tree/gone/c", "c\n")
        // cap_net_bind_service, effective (VFS_CAP_REVISION_2).
        let capability: [UInt8] = [0x01, 0x00, 0x00, 0x02, 0x00, 0x04, 0x00, 0x00] + [UInt8](repeating: 0, count: 12)
        try Xattrs.set(context.appendingPathComponent("capped").path, "security.capability", capability)
        let dockerfile = """
            FROM kiln-test/busybox:latest
            COPY capped /capped
            COPY tree/ /tree/
            RUN head -c 6000000 /dev/urandom > /big && head -c 5000000 /dev/zero > /zeros \\
                && echo hi > /small && mkdir -p /d/e && ln /small /d/e/linked && chown 12:34 /small && chmod 640 /small \\
                && touch -d "2001-02-03 04:05:06" /big && touch -d "1999-12-31 23:59:59" /capped \\
                && ln -s ../small /d/to-small && mkfifo /d/fifo && chmod 0710 /d/e \\
                && rm /etc/group && rm -rf /tree/gone \\
                && rm -rf /tree/old && mkdir /tree/old && echo new > /tree/old/n && chown 5:6 /tree/old
            """
        let (result, _) = try await build(dockerfile)
        let chainID = try XCTUnwrap(ChainID.computeAll(diffIDs: result.config.rootfs.diffIDs).last)
        let snapshot = service.store.snapshotPath(chainID).path
        let made = try listing(snapshot)
        XCTAssertEqual(made["big"]?.hasPrefix("\(S_IFREG | 0o644) 0:0 981173106.0 6000000 1"), true, made["big"] ?? "missing")
        XCTAssertEqual(made["small"]?.hasPrefix("\(S_IFREG | 0o640) 12:34 "), true, made["small"] ?? "missing")
        XCTAssertEqual(made["small"]?.contains(" 2 "), true, "hard link kept: \(made["small"] ?? "missing")")
        XCTAssertEqual(made["capped"]?.contains("security.capability=\(capability)"), true, made["capped"] ?? "missing")
        XCTAssertEqual(made["tree/old"]?.contains("trusted.overlay.opaque"), true, "opaque folder: \(made["tree/old"] ?? "missing")")
        XCTAssertEqual(made["tree/gone"]?.hasPrefix("\(S_IFCHR) "), true, "whiteout: \(made["tree/gone"] ?? "missing")")
        XCTAssertEqual(made["etc/group"]?.hasPrefix("\(S_IFCHR) "), true, "whiteout: \(made["etc/group"] ?? "missing")")
        XCTAssertNotNil(made["d/fifo"])
        XCTAssertNotNil(made["d/to-small"])

        let unpacked = root.appendingPathComponent("unpacked-all").path
        try FileManager.default.createDirectory(atPath: unpacked, withIntermediateDirectories: true)
        let layer = try XCTUnwrap(result.manifest.layers.last)
        let blob = try service.store.open(layer.digest)
        // Written with O_DIRECT where the store's filesystem allows it: the stored bytes are the digest's.
        let stored = try Data(contentsOf: blob)
        XCTAssertEqual(Digest.sha256(of: stored), layer.digest)
        XCTAssertEqual(Int64(stored.count), layer.size)
        try LayerApplier(target: unpacked, options: LayerApplyOptions(whiteouts: .overlayMarkers)).apply(blobFile: blob.path)
        let reference = try listing(unpacked)
        XCTAssertEqual(made.keys.sorted(), reference.keys.sorted())
        for (path, line) in made where reference[path] != line {
            XCTFail("\(path): snapshot \(line), unpacked \(reference[path] ?? "missing")")
        }
    }
}
