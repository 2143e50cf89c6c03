import Foundation
import XCTest
@testable import LayerArchive

/// Issue 14: a layer unpacked into its own snapshot folder that hard-links a file of a lower
/// layer (Docker applies it over the merged lower view), and overlay-private xattrs in a layer
/// (which would change what overlayfs shows: busybox's /bin vanished under a planted
/// `trusted.overlay.opaque`).
final class LowerLayerTests: XCTestCase {
    var temp: TempDir!

    override func setUpWithError() throws {
        temp = try TempDir()
        for name in ["base", "middle", "top"] { try sh("mkdir \(name)", cwd: temp.path) }
    }
    override func tearDown() { temp.cleanup() }

    private func apply(_ entries: [(TarHeader, [UInt8])], into name: String, lowers: [String] = []) throws -> LayerApplyReport {
        var reader = TarReader(InMemorySource(try makeTar(entries)))
        let options = LayerApplyOptions(whiteouts: .overlayMarkers, lowerLayers: lowers.map(temp.sub))
        return try LayerApplier(target: temp.sub(name), options: options).apply(&reader)
    }

    private func file(_ path: String, _ text: String, mode: UInt32 = 0o755, xattrs: [String: [UInt8]] = [:]) -> (TarHeader, [UInt8]) {
        (TarHeader(path: path, type: .regular, mode: mode, modificationTime: TarTime(seconds: 1_600_000_000), xattrs: xattrs), Array(text.utf8))
    }

    private func hardlink(_ path: String, _ target: String) -> (TarHeader, [UInt8]) {
        (TarHeader(path: path, type: .hardlink, mode: 0o755, linkName: target), [])
    }

    func testHardlinkToAFileOfALowerLayerIsCopiedFromIt() throws {
        _ = try apply([file("bin/busybox", "BUSYBOX", mode: 0o4755)], into: "base")
        _ = try apply([hardlink("bin/sh", "bin/busybox")], into: "top", lowers: ["base"])
        XCTAssertEqual(try String(contentsOfFile: temp.sub("top/bin/sh"), encoding: .utf8), "BUSYBOX")
        var info = stat()
        XCTAssertEqual(lstat(temp.sub("top/bin/sh"), &info), 0)
        XCTAssertEqual(info.st_mode & 0o7777, 0o4755, "the target's mode comes along")
        XCTAssertEqual(info.st_nlink, 1, "a copy: the lower snapshot's inode is never shared")
        XCTAssertEqual(try String(contentsOfFile: temp.sub("base/bin/busybox"), encoding: .utf8), "BUSYBOX", "the lower layer is unchanged")
    }

    func testTheTopmostLowerLayerWins() throws {
        _ = try apply([file("etc/motd", "old")], into: "base")
        _ = try apply([file("etc/motd", "new")], into: "middle", lowers: ["base"])
        _ = try apply([hardlink("etc/motd-link", "etc/motd")], into: "top", lowers: ["base", "middle"])
        XCTAssertEqual(try String(contentsOfFile: temp.sub("top/etc/motd-link"), encoding: .utf8), "new")
    }

    func testAFileWhitedOutInBetweenIsNotLinked() throws {
        _ = try apply([file("etc/gone", "x")], into: "base")
        _ = try apply([(TarHeader(path: "etc/.wh.gone", type: .regular, mode: 0), [])], into: "middle", lowers: ["base"])
        XCTAssertThrowsError(try apply([hardlink("etc/again", "etc/gone")], into: "top", lowers: ["base", "middle"])) { error in
            XCTAssertTrue("\(error)".contains("etc/gone"), "names the target: \(error)")
        }
    }

    func testAHardlinkToNothingAnywhereStillFailsNamingTheTarget() throws {
        XCTAssertThrowsError(try apply([hardlink("a", "missing/file")], into: "top", lowers: ["base"])) { error in
            XCTAssertTrue("\(error)".contains("missing/file"), "\(error)")
        }
    }

    func testOverlayPrivateXattrsAreDroppedWithAWarning() throws {
        let report = try apply([
            (TarHeader(path: "bin/", type: .directory, mode: 0o755, xattrs: ["trusted.overlay.opaque": Array("y".utf8)]), []),
            file("bin/tool", "t", xattrs: ["user.overlay.redirect": Array("/etc".utf8), "user.kiln": Array("kept".utf8)]),
        ], into: "top")
        XCTAssertNil(try Xattrs.get(temp.sub("top/bin"), "trusted.overlay.opaque"), "a layer must not make a directory opaque by itself")
        XCTAssertNil(try Xattrs.get(temp.sub("top/bin/tool"), "user.overlay.redirect"))
        XCTAssertEqual(report.warnings.filter { $0.contains("overlay-private") }.count, 2, "\(report.warnings)")
        if let kept = try? Xattrs.get(temp.sub("top/bin/tool"), "user.kiln") {
            XCTAssertEqual(kept, Array("kept".utf8), "other xattrs stay")
        }
    }
}
