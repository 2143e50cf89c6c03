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
}
