@testable import ContainerRuntime
import CUserNamespace
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The fuse-overlayfs tier: what fuse-overlayfs writes in an upper directory becomes kernel overlayfs's
/// format (FuseUpperFormat), and a mount made and ended through FuseOverlay leaves neither the daemon
/// nor the mount behind; a daemon that cannot mount is an error with its message, not a hang.
final class FuseOverlayTests: XCTestCase {
    private let opaque = "trusted.overlay.opaque"

    func testFuseUpperFormatBecomesOverlayFormat() throws {
        try XCTSkipUnless(geteuid() == 0, "whiteouts and trusted.* xattrs need root")
        let base = try Fixture.scratch("fuse-format")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let lower = base + "/lower", upper = base + "/upper"
        for dir in ["lower/old/sub", "lower/kept", "upper/old", "upper/new/inner", "upper/kept"] {
            try FileManager.default.createDirectory(atPath: base + "/" + dir, withIntermediateDirectories: true)
        }
        try "1".write(toFile: lower + "/gone", atomically: true, encoding: .utf8)
        try "2".write(toFile: lower + "/kept/gone2", atomically: true, encoding: .utf8)
        // fuse-overlayfs's forms: a `.wh.NAME` file (mknod refused), an opaque directory with its xattr and
        // both marker files, a new directory marked opaque with nothing below, an origin xattr.
        FileManager.default.createFile(atPath: upper + "/.wh.gone", contents: Data())
        XCTAssertEqual(mknod(upper + "/kept/gone2", S_IFCHR, 0), 0)
        XCTAssertEqual(lsetxattr(upper + "/old", FuseUpperFormat.opaqueXattr, "y", 1, 0), 0)
        FileManager.default.createFile(atPath: upper + "/old/.wh..wh..opq", contents: Data())
        XCTAssertEqual(mknod(upper + "/old/.wh..opq", S_IFCHR, 0), 0)
        FileManager.default.createFile(atPath: upper + "/new/.wh..wh..opq", contents: Data())
        XCTAssertEqual(lsetxattr(upper + "/new/inner", opaque, "y", 1, 0), 0)
        FileManager.default.createFile(atPath: upper + "/kept/file", contents: Data("x".utf8))
        XCTAssertEqual(lsetxattr(upper + "/kept/file", FuseUpperFormat.originXattr, "kept/file", 9, 0), 0)
        var times = [timespec(tv_sec: 1000, tv_nsec: 0), timespec(tv_sec: 2000, tv_nsec: 0)]
        XCTAssertEqual(utimensat(AT_FDCWD, upper + "/old", &times, 0), 0)

        try FuseUpperFormat.normalize(upper, lowerDirs: [lower])

        XCTAssertTrue(isWhiteout(upper + "/gone"), "the .wh.gone file becomes a 0:0 character device")
        XCTAssertFalse(exists(upper + "/.wh.gone"))
        XCTAssertTrue(isWhiteout(upper + "/kept/gone2"))
        XCTAssertEqual(xattr(upper + "/old", opaque), "y", "remade directory over a lower one stays opaque")
        XCTAssertNil(xattr(upper + "/old", FuseUpperFormat.opaqueXattr))
        XCTAssertFalse(exists(upper + "/old/.wh..wh..opq"))
        XCTAssertFalse(exists(upper + "/old/.wh..opq"))
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: upper + "/old")[.modificationDate] as? Date,
                       Date(timeIntervalSince1970: 2000), "removing the markers keeps the directory's times")
        XCTAssertNil(xattr(upper + "/new", opaque), "nothing lies below /new: no opaque marker, as the kernel")
        XCTAssertFalse(exists(upper + "/new/.wh..wh..opq"))
        XCTAssertNil(xattr(upper + "/new/inner", opaque))
        XCTAssertNil(xattr(upper + "/kept/file", FuseUpperFormat.originXattr))
    }

    func testExistsBelowFollowsWhiteoutsAndOpaqueDirectories() throws {
        try XCTSkipUnless(geteuid() == 0, "whiteouts and trusted.* xattrs need root")
        let base = try Fixture.scratch("fuse-below")
        defer { try? FileManager.default.removeItem(atPath: base) }
        for dir in ["l1/a/b", "l1/c", "l2/a", "l2/c"] {
            try FileManager.default.createDirectory(atPath: base + "/" + dir, withIntermediateDirectories: true)
        }
        XCTAssertEqual(lsetxattr(base + "/l2/a", opaque, "y", 1, 0), 0)
        try FileManager.default.removeItem(atPath: base + "/l2/c")
        XCTAssertEqual(mknod(base + "/l2/c", S_IFCHR, 0), 0)
        let lowers = [base + "/l2", base + "/l1"]  // top first
        XCTAssertTrue(FuseUpperFormat.existsBelow("a", lowers: lowers))
        XCTAssertFalse(FuseUpperFormat.existsBelow("a/b", lowers: lowers), "hidden by the opaque /a above")
        XCTAssertFalse(FuseUpperFormat.existsBelow("c", lowers: lowers), "hidden by the whiteout above")
        XCTAssertFalse(FuseUpperFormat.existsBelow("d", lowers: lowers))
    }

    func testMountAndUnmountLeaveNoDaemon() throws {
        try XCTSkipUnless(geteuid() == 0, "mounting needs root")
        if let reason = FuseOverlay.unavailableReason() { throw XCTSkip("fuse-overlayfs cannot be used here: \(reason)") }
        let base = try Fixture.scratch("fuse-mount")
        defer { try? FileManager.default.removeItem(atPath: base) }
        for dir in ["lower/dir", "upper", "work", "merged"] {
            try FileManager.default.createDirectory(atPath: base + "/" + dir, withIntermediateDirectories: true)
        }
        try "old".write(toFile: base + "/lower/dir/file", atomically: true, encoding: .utf8)
        let mount = try FuseOverlay.mount(lowerDirs: [base + "/lower"], upperDir: base + "/upper", workDir: base + "/work",
                                          target: base + "/merged", readOnly: false, volatile: true)
        XCTAssertTrue(FuseOverlay.isMounted(base + "/merged"))
        XCTAssertEqual(try String(contentsOfFile: base + "/merged/dir/file", encoding: .utf8), "old")
        try FileManager.default.removeItem(atPath: base + "/merged/dir")
        try FileManager.default.createDirectory(atPath: base + "/merged/dir", withIntermediateDirectories: false)
        try mount.unmount()
        XCTAssertFalse(FuseOverlay.isMounted(base + "/merged"))
        XCTAssertEqual(kill(mount.daemonPID, 0), -1, "the daemon has ended and been reaped")
        XCTAssertEqual(xattr(base + "/upper/dir", opaque), "y")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: base + "/upper/dir"), [])
    }

    func testADaemonThatCannotMountIsAnErrorWithItsMessage() throws {
        try XCTSkipUnless(geteuid() == 0, "mounting needs root")
        if let reason = FuseOverlay.unavailableReason() { throw XCTSkip("fuse-overlayfs cannot be used here: \(reason)") }
        let base = try Fixture.scratch("fuse-fail")
        defer { try? FileManager.default.removeItem(atPath: base) }
        try FileManager.default.createDirectory(atPath: base + "/merged", withIntermediateDirectories: true)
        XCTAssertThrowsError(try FuseOverlay.mount(lowerDirs: [base + "/missing"], upperDir: nil, workDir: nil,
                                                   target: base + "/merged", readOnly: true, volatile: false)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("fuse-overlayfs exited"), text)
        }
        XCTAssertFalse(FuseOverlay.isMounted(base + "/merged"))
    }

    private func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    private func isWhiteout(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFCHR && info.st_rdev == 0
    }

    private func xattr(_ path: String, _ name: String) -> String? {
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = lgetxattr(path, name, &buffer, buffer.count)
        return count < 0 ? nil : String(decoding: buffer[0..<count], as: UTF8.self)
    }
}
