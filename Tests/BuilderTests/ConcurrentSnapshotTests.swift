import Builder
import Foundation
import ImageSpec
import ImageStore
import Images
import LayerArchive
import XCTest

/// A cold COPY's snapshot is unpacked on another core while its blob is written (ConcurrentSnapshot):
/// the tree must be the one the stored blob gives when applied on its own — the same entries, modes,
/// owners, times, link targets, hard links and contents, including a file long enough to span many
/// reads and one of zeros that the blob keeps as holes (read back past the file's end while written).
final class ConcurrentSnapshotTests: BuilderTestCase {
    func testColdCopySnapshotIsTheTreeTheStoredBlobGives() async throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root (snapshots keep owners)") }
        for i in 0..<300 { try write("many/d\(i % 7)/f\(i).txt", String(repeating: "line \(i)\n", count: i % 40 + 1)) }
        try write(String(repeating: "long-name-", count: 12) + "/" + String(repeating: "deep", count: 30) + ".txt", "long\n")
        FileManager.default.createFile(atPath: context.appendingPathComponent("zeros.bin").path, contents: Data(count: 3 << 20))
        FileManager.default.createFile(atPath: context.appendingPathComponent("big.bin").path,
                                       contents: Data((0..<(5 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }))
        XCTAssertEqual(symlink("many/d1/f1.txt", context.appendingPathComponent("to-f1").path), 0)
        XCTAssertEqual(link(context.appendingPathComponent("big.bin").path, context.appendingPathComponent("big-link").path), 0)
        XCTAssertEqual(chmod(context.appendingPathComponent("many/d2").path, 0o710), 0)
        usleep(250_000)

        var options = BuildOptions(dockerfileText: "FROM scratch\nCOPY --chown=12:34 . /app/\n", contextDirectory: context.path)
        options.buildArgs = ["SOURCE_DATE_EPOCH": "1700000000"]
        let result = try await Builder(options: options, images: service, progress: BuildProgress(mode: .quiet)).build()
        let snapshot = try XCTUnwrap(result.snapshots.last)
        let reference = root.appendingPathComponent("applied-from-blob")
        try FileManager.default.createDirectory(at: reference, withIntermediateDirectories: true)
        try LayerApplier(target: reference.path, options: LayerApplyOptions(whiteouts: .overlayMarkers))
            .apply(blobFile: try service.store.open(try XCTUnwrap(result.manifest.layers.last).digest).path)
        XCTAssertEqual(try tree(snapshot), try tree(reference))
        XCTAssertGreaterThan(try tree(snapshot).count, 300)
    }

    /// Every path under `root` with its type, mode, owner, mtime, size, link target, content digest
    /// and which other paths share its inode.
    private func tree(_ root: URL) throws -> [String] {
        var lines: [String] = []
        var inodes: [UInt64: String] = [:]
        let walker = FileManager.default.enumerator(atPath: root.path)!
        while let relative = walker.nextObject() as? String {
            let path = root.appendingPathComponent(relative).path
            var info = stat()
            guard lstat(path, &info) == 0 else { throw XCTSkip("lstat \(path)") }
            var line = "\(relative) \(String(info.st_mode, radix: 8)) \(info.st_uid):\(info.st_gid) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
            switch info.st_mode & S_IFMT {
            case S_IFREG:
                line += " \(info.st_size) \(Digest.digest(of: try Data(contentsOf: URL(fileURLWithPath: path)), algorithm: .sha256))"
                if info.st_nlink > 1 {
                    if let first = inodes[UInt64(info.st_ino)] { line += " =\(first)" } else { inodes[UInt64(info.st_ino)] = relative }
                }
            case S_IFLNK:
                line += " -> " + (try FileManager.default.destinationOfSymbolicLink(atPath: path))
            default: break
            }
            lines.append(line)
        }
        return lines.sorted()
    }
}
