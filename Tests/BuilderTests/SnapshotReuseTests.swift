@testable import Builder
import Containers
import Distribution
import Foundation
import ImageSpec
import ImageStore
import Images
import LayerArchive
import XCTest

/// A rebuilt context COPY takes the snapshot the last build of the step left, when nothing uses it,
/// and patches it (LayerCommitter+Reuse): whatever changed — content, a mode only, files and folders
/// added or removed, a symlink retargeted, a file turned into a folder — the new snapshot is
/// exactly what unpacking the new blob makes, unchanged files keep their inodes, and a snapshot
/// another process holds is left alone.
final class SnapshotReuseTests: BuilderTestCase {
    private let epoch = ["SOURCE_DATE_EPOCH": "1700000000"]
    private let dockerfile = "FROM scratch\nCOPY . /app/\n"

    /// Lets the context's last change age past the settle window of ctimes (100 ms).
    private func settle() { usleep(250_000) }

    /// Each build with its own store instance on the same root, as each `kiln build` process has
    /// (an instance's lease keeps what it used for as long as it lives).
    private func build() async throws -> BuildResult {
        let service = ImageService(store: try ContentStore(root: self.service.store.location.root), registry: registry, progress: SilentProgress())
        var options = BuildOptions(dockerfileText: dockerfile, contextDirectory: context.path)
        options.buildArgs = epoch
        options.adoptSourceDateEpoch(fromEnvironment: epoch)
        return try await Builder(options: options, images: service, progress: BuildProgress(mode: .quiet)).build()
    }

    private func inode(_ url: URL) -> UInt64? {
        var info = stat()
        return lstat(url.path, &info) == 0 ? UInt64(info.st_ino) : nil
    }

    /// Every path under `root` with its type, mode, owner, mtime, and content or link target.
    private func tree(_ root: URL) throws -> [String: String] {
        var result: [String: String] = [:]
        func visit(_ relative: String) throws {
            let path = relative.isEmpty ? root.path : root.path + "/" + relative
            var info = stat()
            guard lstat(path, &info) == 0 else { throw XCTSkip("cannot stat \(path)") }
            var line = "mode \(String(info.st_mode, radix: 8)) \(info.st_uid):\(info.st_gid) mtime \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
            switch info.st_mode & S_IFMT {
            case S_IFREG: line += " content " + (try String(contentsOfFile: path, encoding: .utf8))
            case S_IFLNK: line += " -> " + (try FileManager.default.destinationOfSymbolicLink(atPath: path))
            case S_IFDIR:
                for name in try FileManager.default.contentsOfDirectory(atPath: path).sorted() {
                    try visit(relative.isEmpty ? name : relative + "/" + name)
                }
            default: break
            }
            if !relative.isEmpty { result[relative] = line }
        }
        try visit("")
        return result
    }

    /// The snapshot the layer's blob makes when unpacked into an empty folder.
    private func unpacked(_ result: BuildResult) throws -> URL {
        let folder = root.appendingPathComponent("unpacked-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let layer = try XCTUnwrap(result.manifest.layers.last)
        try LayerApplier(target: folder.path, options: LayerApplyOptions(whiteouts: .overlayMarkers)).apply(blobFile: service.store.open(layer.digest).path)
        return folder
    }

    private func makeContext() throws {
        try write("a.txt", "alpha\n")
        try write("dir/b.txt", "bravo\n")
        try write("dir/c.txt", "charlie\n")
        try write("dir/sub/d.txt", "delta\n")
        try write("dir/sub/deeper/e.txt", "echo\n")
        try write("x", "a file, then a folder\n")
        try write("keep/k.txt", "kilo\n")
        XCTAssertEqual(symlink("a.txt", context.appendingPathComponent("link").path), 0)
        try FileManager.default.createDirectory(at: context.appendingPathComponent("empty"), withIntermediateDirectories: true)
    }

    func testPatchedSnapshotIsTheUnpackedBlob() async throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root (snapshots keep owners)") }
        try makeContext()
        settle()
        let first = try await build()
        let before = try XCTUnwrap(first.snapshots.last)
        let keptInode = try XCTUnwrap(inode(before.appendingPathComponent("app/keep/k.txt")))

        try write("a.txt", "ALPHA, longer\n")
        XCTAssertEqual(chmod(context.appendingPathComponent("dir/b.txt").path, 0o600), 0)
        try FileManager.default.removeItem(at: context.appendingPathComponent("dir/c.txt"))
        try FileManager.default.removeItem(at: context.appendingPathComponent("dir/sub"))
        try write("dir/new.txt", "november\n")
        try FileManager.default.removeItem(at: context.appendingPathComponent("link"))
        XCTAssertEqual(symlink("dir/new.txt", context.appendingPathComponent("link").path), 0)
        try FileManager.default.removeItem(at: context.appendingPathComponent("x"))
        try write("x/inside.txt", "now a folder\n")
        settle()
        let second = try await build()
        let after = try XCTUnwrap(second.snapshots.last)

        XCTAssertFalse(FileManager.default.fileExists(atPath: before.path), "the earlier snapshot was not taken over")
        XCTAssertEqual(inode(after.appendingPathComponent("app/keep/k.txt")), keptInode, "an unchanged file was written again")
        let made = try tree(after), expected = try tree(try unpacked(second))
        for path in Set(made.keys).union(expected.keys).sorted() where made[path] != expected[path] {
            XCTFail("\(path): snapshot \(made[path] ?? "missing"), unpacked blob \(expected[path] ?? "missing")")
        }
        XCTAssertEqual(made["app/a.txt"]?.hasSuffix("content ALPHA, longer\n"), true)
        XCTAssertNil(made["app/dir/sub"])

        // The earlier image's snapshot comes back from its blob when it is needed.
        let again = try await service.snapshots(for: LocalImage(references: [], manifestDescriptor: first.manifestDescriptor, manifest: first.manifest,
                                                                configDescriptor: first.configDescriptor, config: first.config))
        XCTAssertEqual(try tree(try XCTUnwrap(again.last)), try tree(try unpacked(first)))
    }

    func testHeldSnapshotIsLeftAlone() async throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root (snapshots keep owners)") }
        try makeContext()
        settle()
        let first = try await build()
        let before = try XCTUnwrap(first.snapshots.last)
        let other = try ContentStore(root: service.store.location.root)
        try other.hold(snapshots: [ChainID.compute(diffIDs: first.config.rootfs.diffIDs)!])

        try write("a.txt", "ALPHA\n")
        settle()
        let second = try await build()
        XCTAssertTrue(FileManager.default.fileExists(atPath: before.appendingPathComponent("app/a.txt").path), "a held snapshot was taken")
        XCTAssertEqual(try tree(try XCTUnwrap(second.snapshots.last)), try tree(try unpacked(second)))
        withExtendedLifetime(other) {}
    }

    /// A container's lower layer (a stopped one holds no lease) is not taken either.
    func testContainersLowerLayerIsLeftAlone() async throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root (snapshots keep owners)") }
        try makeContext()
        settle()
        let first = try await build()
        let before = try XCTUnwrap(first.snapshots.last)
        let containers = ContainerStore(location: service.store.location)
        let record = ContainerRecord(id: "c0ffee", name: "stopped", image: "x", imageID: first.id.description, created: Date(), path: "/bin/sh",
                                     args: [], workingDir: "/", user: "", tty: false, interactive: false, autoRemove: false, readOnly: false,
                                     network: "none", ports: [], binds: [], stopSignal: "SIGTERM", healthcheck: nil, lowerDirs: first.snapshots.map(\.path))
        try FileManager.default.createDirectory(at: containers.folder(record.id), withIntermediateDirectories: true)
        try ContainerStore.encoder.encode(record).write(to: containers.configFile(record.id))

        try write("a.txt", "ALPHA\n")
        settle()
        let second = try await build()
        XCTAssertTrue(FileManager.default.fileExists(atPath: before.appendingPathComponent("app/a.txt").path), "a container's lower layer was taken")
        XCTAssertEqual(try tree(try XCTUnwrap(second.snapshots.last)), try tree(try unpacked(second)))
    }
}
