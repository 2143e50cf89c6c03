import Foundation
import XCTest
@testable import LayerArchive

final class LayerDiffTests: XCTestCase {
    var temp: TempDir!
    private var mounted: String?

    override func setUpWithError() throws { temp = try TempDir() }

    override func tearDown() {
        if let mounted { _ = try? runProgram("/bin/umount", [mounted]) }
        temp.cleanup()
    }

    private let listing = "find . -printf '%p %y %m %U %G %s %T@ %l %n\\n' | sort"

    private func makeTree() throws -> String {
        try sh("mkdir -p src/b/deep src/a && printf one > src/a/one && ln src/a/one src/b/two && ln -s ../a/one src/b/sym "
             + "&& mkfifo src/fifo && printf x > src/Z && printf y > src/-dash && chmod 4711 src/Z "
             + "&& python3 -c \"import socket; socket.socket(socket.AF_UNIX).bind('src/sock')\" "
             + "&& touch -h -d @1700000000.75 src/b/sym src/a/one src/a src/b/deep src/b src/fifo src/Z src/-dash src",
               cwd: temp.path)
        try Xattrs.set(temp.sub("src/a/one"), "user.note", Array("n".utf8))
        try Xattrs.set(temp.sub("src/Z"), "security.capability", [1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        return temp.sub("src")
    }

    func testDirectoryEntriesAreOrderedAndLinked() throws {
        let entries = try LayerDiff.entries(fromDirectory: try makeTree())
        XCTAssertEqual(entries.map(\.header.path), ["-dash", "Z", "a/", "a/one", "b/", "b/deep/", "b/sym", "b/two", "fifo"])
        let byPath = Dictionary(uniqueKeysWithValues: entries.map { ($0.header.path, $0.header) })
        XCTAssertEqual(byPath["b/two"]?.type, .hardlink)
        XCTAssertEqual(byPath["b/two"]?.linkName, "a/one")
        XCTAssertEqual(byPath["b/sym"]?.linkName, "../a/one")
        XCTAssertEqual(byPath["Z"]?.mode, 0o4711)
        XCTAssertNotNil(byPath["Z"]?.xattrs["security.capability"])
        XCTAssertEqual(byPath["a/one"]?.xattrs, [:], "only capabilities by default")
        XCTAssertEqual(byPath["a/one"]?.modificationTime, TarTime(seconds: 1_700_000_000))
        XCTAssertEqual(byPath["a/one"]?.userName, "")

        let all = try LayerDiff.entries(fromDirectory: temp.sub("src"), options: LayerDiffOptions(xattrs: .all))
        XCTAssertEqual(all.first { $0.header.path == "a/one" }?.header.xattrs["user.note"], Array("n".utf8))
    }

    func testCopyLayerUnderDestinationWithOverrides() throws {
        let options = LayerDiffOptions(clampTime: 1_000, owner: (uid: 7, gid: 8), mode: 0o640)
        let entries = try LayerDiff.entries(fromDirectory: try makeTree(), under: "/app/", options: options)
        XCTAssertEqual(entries.first?.header.path, "app/")
        XCTAssertTrue(entries.allSatisfy { $0.header.path.hasPrefix("app/") })
        XCTAssertTrue(entries.allSatisfy { $0.header.uid == 7 && $0.header.gid == 8 })
        XCTAssertTrue(entries.allSatisfy { $0.header.modificationTime.seconds == 1_000 })
        XCTAssertEqual(entries.first { $0.header.path == "app/b/sym" }?.header.mode, 0o777, "symlinks keep their mode")
        XCTAssertEqual(entries.first { $0.header.path == "app/a/one" }?.header.mode, 0o640)
    }

    func testDirectoryLayerRoundTripsThroughApply() throws {
        let source = try makeTree()
        try sh("rm src/sock", cwd: temp.path)
        let options = LayerDiffOptions(xattrs: .all, truncateTimesToSeconds: false)
        let (digests, blob) = try LayerDiff.writeLayer(try LayerDiff.entries(fromDirectory: source, options: options), to: [UInt8]())
        try writeFile(temp.sub("layer.tgz"), blob)
        XCTAssertEqual(digests.blobSize, Int64(blob.count))
        XCTAssertEqual(try sh("gzip -dc layer.tgz | sha256sum | cut -d' ' -f1", cwd: temp.path)
            .trimmingCharacters(in: .whitespacesAndNewlines), digests.diffID.hex)
        XCTAssertTrue(try sh("tar -tvzf layer.tgz", cwd: temp.path).contains("b/two link to a/one"))

        try sh("mkdir out", cwd: temp.path)
        try LayerApplier(target: temp.sub("out")).apply(blobFile: temp.sub("layer.tgz"))
        try sh("touch -d @1700000000.75 out src", cwd: temp.path)
        XCTAssertEqual(try sh(listing, cwd: temp.sub("out")), try sh(listing, cwd: source))
        XCTAssertEqual(try Xattrs.get(temp.sub("out/a/one"), "user.note"), Array("n".utf8))

        // Same tree, same bytes.
        let again = try LayerDiff.writeLayer(try LayerDiff.entries(fromDirectory: source, options: options), to: [UInt8]())
        XCTAssertEqual(again.0, digests)
    }

    func testWhiteoutLookingNamesAreRefused() throws {
        try sh("mkdir -p d/sub && touch d/sub/.wh.trap", cwd: temp.path)
        let error = assertThrows(.unsupported) { try LayerDiff.entries(fromDirectory: self.temp.sub("d")) }
        XCTAssertTrue(error?.message.contains(".wh.trap") ?? false)
    }

    /// fuse-overlayfs on a filesystem that refuses whiteout devices writes `.wh.NAME` files and a
    /// `.wh..wh..opq` file; with `whiteoutFiles` they are the layer's whiteouts, in the kernel form's order.
    func testFuseOverlayfsWhiteoutFilesWithTheOption() throws {
        try sh("mkdir -p u/o u/keep && touch u/.wh.a u/.wh.d u/o/.wh..wh..opq && printf n > u/o/new && printf c > u/c "
             + "&& printf K > u/keep/k2", cwd: temp.path)
        assertThrows(.unsupported) { try LayerDiff.entries(fromOverlayUpper: self.temp.sub("u")) }
        let entries = try LayerDiff.entries(fromOverlayUpper: temp.sub("u"), options: LayerDiffOptions(whiteoutFiles: true))
        XCTAssertEqual(entries.map(\.header.path),
                       [".wh.a", ".wh.d", "c", "keep/", "keep/k2", "o/", "o/.wh..wh..opq", "o/new"])
        XCTAssertEqual(entries.first?.header.size, 0)
        XCTAssertEqual(entries.first?.header.mode, 0)
    }

    func testFileChangingUnderTheWriterIsAnError() throws {
        try sh("mkdir d && printf 12345 > d/f", cwd: temp.path)
        let entries = try LayerDiff.entries(fromDirectory: temp.sub("d"))
        try sh("printf 12 > d/f", cwd: temp.path)
        assertThrows(.io) { try LayerDiff.writeLayer(entries, to: [UInt8]()) }
        try sh("printf 1234567 > d/f", cwd: temp.path)
        assertThrows(.io) { try LayerDiff.writeLayer(entries, to: [UInt8]()) }
    }

    /// A real overlayfs mount: deletions and an opaque directory made through the merged view
    /// become OCI whiteouts, and applying the layer over the lower gives the merged view.
    func testOverlayUpperBecomesOciLayer() throws {
        try sh("mkdir lower upper work merged && mkdir -p lower/d/sub lower/o lower/keep "
             + "&& printf a > lower/a && printf x > lower/d/sub/x && printf y > lower/o/y && printf k > lower/keep/k",
               cwd: temp.path)
        do {
            try runProgram("/bin/mount", ["-t", "overlay", "overlay", "-o",
                                   "lowerdir=\(temp.sub("lower")),upperdir=\(temp.sub("upper")),workdir=\(temp.sub("work"))",
                                   temp.sub("merged")])
        } catch {
            throw XCTSkip("overlayfs cannot be mounted here: \(error)")
        }
        mounted = temp.sub("merged")
        try sh("rm merged/a && rm -r merged/d && rm -r merged/o && mkdir merged/o && printf n > merged/o/new "
             + "&& printf c > merged/c && printf K > merged/keep/k2", cwd: temp.path)
        let shape = "find . -mindepth 1 -printf '%p %y %m %U %G %s %l\\n' | sort"
        let merged = try sh(shape, cwd: temp.sub("merged"))
        try runProgram("/bin/umount", [temp.sub("merged")])
        mounted = nil

        let entries = try LayerDiff.entries(fromOverlayUpper: temp.sub("upper"))
        XCTAssertEqual(entries.map(\.header.path),
                       [".wh.a", ".wh.d", "c", "keep/", "keep/k2", "o/", "o/.wh..wh..opq", "o/new"])
        XCTAssertTrue(entries.allSatisfy { $0.header.xattrs.isEmpty }, "no trusted.overlay.* in the layer")
        XCTAssertEqual(entries.first?.header.size, 0)

        let (_, blob) = try LayerDiff.writeLayer(entries, to: [UInt8]())
        try writeFile(temp.sub("upper.tgz"), blob)
        XCTAssertTrue(try sh("tar -tzf upper.tgz", cwd: temp.path).contains("o/.wh..wh..opq"))
        try LayerApplier(target: temp.sub("lower")).apply(blobFile: temp.sub("upper.tgz"))
        XCTAssertEqual(try sh(shape, cwd: temp.sub("lower")), merged)

        // Into an empty snapshot directory as overlay markers, then mounted: the same view.
        try sh("mkdir base snap work2 view && printf a > base/a && mkdir -p base/d base/o base/keep "
             + "&& printf y > base/o/y && printf k > base/keep/k", cwd: temp.path)
        try LayerApplier(target: temp.sub("snap"), options: LayerApplyOptions(whiteouts: .overlayMarkers))
            .apply(blobFile: temp.sub("upper.tgz"))
        try runProgram("/bin/mount", ["-t", "overlay", "overlay", "-o", "lowerdir=\(temp.sub("snap")):\(temp.sub("base"))",
                               temp.sub("view")])
        mounted = temp.sub("view")
        XCTAssertEqual(try sh("find . | sort", cwd: temp.sub("view")), ".\n./c\n./keep\n./keep/k\n./keep/k2\n./o\n./o/new\n")
    }
}
