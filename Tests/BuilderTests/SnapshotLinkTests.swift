import Builder
import Distribution
import Foundation
import ImageSpec
import ImageStore
import Images
import LayerArchive
import XCTest

/// A rebuilt context COPY makes its snapshot by hard links to the unchanged files of the snapshot
/// the previous build of the same step made (``SnapshotLinks``): only changed files are written,
/// the layer bytes, diff IDs and image IDs are those of a build in a fresh store, hard links
/// inside the layer stay tar hard links (also through `COPY --from`), and deleting the earlier
/// snapshot leaves the new one whole.
final class SnapshotLinkTests: BuilderTestCase {
    private let epoch = ["SOURCE_DATE_EPOCH": "1700000000"]

    /// Lets the context's last change age past the settle window of ctimes (100 ms).
    private func settle() { usleep(250_000) }

    private func build(_ dockerfile: String, in service: ImageService) async throws -> BuildResult {
        var options = BuildOptions(dockerfileText: dockerfile, contextDirectory: context.path)
        options.buildArgs = epoch
        options.adoptSourceDateEpoch(fromEnvironment: epoch)
        return try await Builder(options: options, images: service, progress: BuildProgress(mode: .quiet)).build()
    }

    private func inode(_ path: URL) throws -> (inode: UInt64, links: Int) {
        var info = stat()
        guard lstat(path.path, &info) == 0 else { throw XCTSkip("cannot stat \(path.path)") }
        return (UInt64(info.st_ino), Int(info.st_nlink))
    }

    /// The tar headers of a layer blob.
    private func headers(_ layer: Descriptor, in service: ImageService) throws -> [TarHeader] {
        var reader = try TarReader(contentsOf: try service.store.open(layer.digest).path)
        var all: [TarHeader] = []
        while let header = try reader.next() { all.append(header) }
        return all
    }

    /// A second store, to build the same context from nothing.
    private func freshService() throws -> ImageService {
        let store = try ContentStore(root: root.appendingPathComponent("fresh-store-\(UUID().uuidString)"))
        return ImageService(store: store, registry: registry, progress: SilentProgress())
    }

    private func makeContext() throws {
        try write("a.txt", "alpha\n")
        try write("dir/b.txt", "bravo\n")
        try write("dir/c.txt", "charlie\n")
        try write("empty", "")
        XCTAssertEqual(link(context.appendingPathComponent("dir/b.txt").path, context.appendingPathComponent("dir/b-link").path), 0)
    }

    func testChangedFileIsWrittenTheOthersLinkedWithTheSameLayer() async throws {
        try requireRoot()
        try makeContext()
        settle()
        let dockerfile = "FROM scratch\nCOPY . /app/\n"
        let first = try await build(dockerfile, in: service)
        let before = try XCTUnwrap(first.snapshots.last)

        // Same size, mtime put back: only the ctime tells the content changed.
        let path = context.appendingPathComponent("a.txt").path
        let mtime = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date)
        try write("a.txt", "ALPHA\n")
        try FileManager.default.setAttributes([.modificationDate: mtime], ofItemAtPath: path)
        settle()
        let second = try await build(dockerfile, in: service)
        let after = try XCTUnwrap(second.snapshots.last)
        XCTAssertNotEqual(after, before)

        for name in ["app/dir/b.txt", "app/dir/c.txt", "app/empty"] {
            XCTAssertEqual(try inode(after.appendingPathComponent(name)).inode, try inode(before.appendingPathComponent(name)).inode,
                           "\(name) unchanged but not linked")
        }
        XCTAssertNotEqual(try inode(after.appendingPathComponent("app/a.txt")).inode, try inode(before.appendingPathComponent("app/a.txt")).inode,
                          "the changed file was linked to the old content")
        XCTAssertEqual(try String(contentsOf: after.appendingPathComponent("app/a.txt"), encoding: .utf8), "ALPHA\n")
        XCTAssertEqual(try String(contentsOf: before.appendingPathComponent("app/a.txt"), encoding: .utf8), "alpha\n")
        // The hard link inside the layer: one inode in the new snapshot, a tar hard link in the layer.
        XCTAssertEqual(try inode(after.appendingPathComponent("app/dir/b-link")).inode, try inode(after.appendingPathComponent("app/dir/b.txt")).inode)
        let entries = try headers(try XCTUnwrap(second.manifest.layers.last), in: service)
        let hardlinks = entries.filter { $0.type == .hardlink }.map { "\($0.path) -> \($0.linkName)" }
        XCTAssertEqual(hardlinks, ["app/dir/b.txt -> app/dir/b-link"])

        // The same layer and image as a build of this context in an empty store.
        let fresh = try await build(dockerfile, in: try freshService())
        XCTAssertEqual(second.config.rootfs.diffIDs, fresh.config.rootfs.diffIDs)
        XCTAssertEqual(second.manifest.layers.map(\.digest), fresh.manifest.layers.map(\.digest))
        XCTAssertEqual(second.id, fresh.id)

        // Deleting the earlier snapshot (as prune does) leaves the new one whole.
        try FileManager.default.removeItem(at: before)
        XCTAssertEqual(try String(contentsOf: after.appendingPathComponent("app/dir/c.txt"), encoding: .utf8), "charlie\n")
        XCTAssertEqual(try inode(after.appendingPathComponent("app/dir/c.txt")).links, 1)
        XCTAssertEqual(try file("app/dir/b-link", in: second), "bravo\n")
    }

    /// A copy from a stage whose snapshot shares inodes with an earlier one: a file that only
    /// shares its inode with the other snapshot stays a regular file; a hard link inside the layer
    /// stays a hard link; the result is the fresh store's.
    func testCopyFromAStageWithLinkedSnapshot() async throws {
        try requireRoot()
        try makeContext()
        settle()
        let dockerfile = "FROM scratch AS s\nCOPY . /app/\nFROM scratch\nCOPY --from=s /app /copy/\n"
        _ = try await build(dockerfile, in: service)
        try write("dir/c.txt", "charlie, longer\n")
        settle()
        let second = try await build(dockerfile, in: service)
        let entries = try headers(try XCTUnwrap(second.manifest.layers.last), in: service)
        XCTAssertEqual(entries.filter { $0.type == .hardlink }.map { "\($0.path) -> \($0.linkName)" }, ["copy/dir/b.txt -> copy/dir/b-link"])
        XCTAssertEqual(entries.first { $0.path == "copy/a.txt" }?.type, .regular)
        let fresh = try await build(dockerfile, in: try freshService())
        XCTAssertEqual(second.config.rootfs.diffIDs, fresh.config.rootfs.diffIDs)
        XCTAssertEqual(second.id, fresh.id)
        XCTAssertEqual(try file("copy/dir/c.txt", in: second), "charlie, longer\n")
    }

    /// A file changed less than the settle window before the layer is written is never linked (a
    /// second write in the same clock tick could hide behind its stamp), and a record that was
    /// tampered with is not trusted.
    func testUnsettledChangesAndDamagedRecordsAreWritten() async throws {
        try requireRoot()
        try makeContext()
        settle()
        let dockerfile = "FROM scratch\nCOPY . /app/\n"
        let first = try await build(dockerfile, in: service)
        try write("a.txt", "ALPHA\n")  // no settle: the file's ctime is milliseconds old
        let second = try await build(dockerfile, in: service)
        let (before, after) = (try XCTUnwrap(first.snapshots.last), try XCTUnwrap(second.snapshots.last))
        XCTAssertNotEqual(try inode(after.appendingPathComponent("app/a.txt")).inode, try inode(before.appendingPathComponent("app/a.txt")).inode)
        XCTAssertEqual(try String(contentsOf: after.appendingPathComponent("app/a.txt"), encoding: .utf8), "ALPHA\n")

        let links = service.store.buildCacheDirectory.appendingPathComponent("snapshot-links")
        let names = try FileManager.default.contentsOfDirectory(atPath: links.path).filter { !$0.hasPrefix(".") }
        XCTAssertEqual(names.count, 1)
        let record = links.appendingPathComponent(names[0])
        var bytes = try [UInt8](Data(contentsOf: record))
        bytes[bytes.count / 2] ^= 0xff
        try Data(bytes).write(to: record)
        try write("dir/c.txt", "CHARLIE\n")
        settle()
        let third = try await build(dockerfile, in: service)
        let last = try XCTUnwrap(third.snapshots.last)
        XCTAssertNotEqual(try inode(last.appendingPathComponent("app/dir/b.txt")).inode, try inode(after.appendingPathComponent("app/dir/b.txt")).inode,
                          "a damaged record was used")
        XCTAssertEqual(try file("app/dir/c.txt", in: third), "CHARLIE\n")
    }

    private func requireRoot() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root (snapshots keep owners)") }
    }
}
