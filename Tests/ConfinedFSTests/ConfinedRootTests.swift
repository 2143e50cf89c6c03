@testable import ConfinedFS
import Foundation
import XCTest

/// Each operation of ConfinedRoot through each planted escape link: the result is the path
/// resolved as if the root were `/`, and the host (the canary, and `/`) is never touched.
final class ConfinedRootTests: XCTestCase {
    private var tree: HostileTree!
    private var fsRoot: ConfinedRoot!
    private var before: [String] = []

    override func setUpWithError() throws {
        tree = try HostileTree()
        fsRoot = try ConfinedRoot(tree.root)
        before = tree.canarySnapshot()
    }

    override func tearDownWithError() throws {
        XCTAssertEqual(tree.canarySnapshot(), before, "the canary on the host changed")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/kiln-confined-made"), "created in the host's /")
        fsRoot = nil
        tree.remove()
    }

    private func exists(_ inRoot: String) -> Bool {
        var info = stat()
        return lstat(tree.root + inRoot, &info) == 0
    }

    func testMkdirAllThroughEveryEscapeStaysInside() throws {
        for name in HostileTree.escapes.keys {
            for uid in [UInt32(0), 1234] {
                let handle = try fsRoot.mkdirAll("/\(name)/kiln-confined-made/\(uid)", owner: Ownership(uid: uid, gid: uid))
                let expected = tree.resolved(name) + "/kiln-confined-made/\(uid)"
                XCTAssertEqual(try fsRoot.pathInRoot(of: handle), expected, name)
                var info = stat()
                XCTAssertEqual(lstat(tree.root + expected, &info), 0, name)
                XCTAssertEqual(info.st_uid, uid)
                XCTAssertEqual(info.st_mode & 0o7777, 0o755)
            }
        }
        // The canary path was re-rooted: it now exists inside the image.
        XCTAssertTrue(exists(tree.canary + "/kiln-confined-made"))
    }

    func testMkdirAllFollowsADanglingLinkInsideTheRoot() throws {
        try fsRoot.symlink("/made/by/link", at: "/dangling")
        try fsRoot.mkdirAll("/dangling/sub")
        XCTAssertTrue(exists("/made/by/link/sub"))
        try fsRoot.symlink("../../../../../kiln-confined-made", at: "/etc/rel")
        try fsRoot.mkdirAll("/etc/rel/x")
        XCTAssertTrue(exists("/kiln-confined-made/x"))
    }

    func testMkdirAllRefusesAFileOnTheWay() throws {
        XCTAssertThrowsError(try fsRoot.mkdirAll("/etc/motd/x")) { XCTAssertEqual(($0 as? ConfinedFSError)?.errno, ENOTDIR) }
    }

    func testSymlinkLoopsFail() throws {
        try fsRoot.symlink("/loop2", at: "/loop1")
        try fsRoot.symlink("loop1", at: "/loop2")
        XCTAssertThrowsError(try fsRoot.mkdirAll("/loop1/x")) { XCTAssertEqual(($0 as? ConfinedFSError)?.errno, ELOOP) }
        XCTAssertThrowsError(try fsRoot.readFile("/loop1")) { XCTAssertEqual(($0 as? ConfinedFSError)?.errno, ELOOP) }
    }

    func testReadFileThroughEscapesReadsTheImage() throws {
        try Data("image:x:7:8::/:/bin/sh\n".utf8).write(to: URL(fileURLWithPath: tree.root + "/etc/passwd"))
        for name in ["up", "dots"] {
            XCTAssertEqual(try fsRoot.readFile("/\(name)/etc/passwd").map { String(decoding: $0, as: UTF8.self) }, "image:x:7:8::/:/bin/sh\n")
        }
        // The canary link is a path inside the image, where nothing exists.
        XCTAssertNil(try fsRoot.readFile("/host/passwd"))
        XCTAssertNil(try fsRoot.readFile("/self/passwd"))
        try FileManager.default.removeItem(atPath: tree.root + "/etc/passwd")
        try fsRoot.symlink(tree.canary + "/passwd", at: "/etc/passwd")
        XCTAssertNil(try fsRoot.readFile("/etc/passwd"))
        try fsRoot.remove("/etc/passwd")
        try fsRoot.symlink("/proc/self/root" + tree.canary + "/passwd", at: "/etc/passwd")
        XCTAssertNil(try fsRoot.readFile("/etc/passwd"))
    }

    func testReadFileRefusesNonRegularFiles() throws {
        XCTAssertEqual(mkfifo(tree.root + "/fifo", 0o644), 0)
        XCTAssertThrowsError(try fsRoot.readFile("/fifo")) { XCTAssertEqual(($0 as? ConfinedFSError)?.errno, EINVAL) }
        XCTAssertThrowsError(try fsRoot.readFile("/etc")) { XCTAssertEqual(($0 as? ConfinedFSError)?.errno, EINVAL) }
    }

    func testCreateFileNeverFollowsTheLastComponent() throws {
        for name in HostileTree.escapes.keys {
            XCTAssertThrowsError(try fsRoot.createFile("/\(name)")) { XCTAssertEqual(($0 as? ConfinedFSError)?.errno, EEXIST) }
        }
        _ = try fsRoot.mkdirAll(tree.canary)
        let file = try fsRoot.createFile("/host/new", mode: 0o640, owner: Ownership(uid: 1234, gid: 1234))
        XCTAssertEqual(try fsRoot.pathInRoot(of: file), tree.canary + "/new")
        var info = stat()
        XCTAssertEqual(lstat(tree.root + tree.canary + "/new", &info), 0)
        XCTAssertEqual(info.st_uid, 1234)
        XCTAssertEqual(info.st_mode & 0o7777, 0o640)
    }

    func testChownAndChmodThroughEscapes() throws {
        for name in ["up", "dots"] {
            try fsRoot.chown("/\(name)/etc/motd", Ownership(uid: 1234, gid: 1234))
            try fsRoot.chmod("/\(name)/etc/motd", 0o600)
            var info = stat()
            XCTAssertEqual(lstat(tree.root + "/etc/motd", &info), 0)
            XCTAssertEqual(info.st_uid, 1234)
            XCTAssertEqual(info.st_mode & 0o7777, 0o600)
        }
        // Through the canary link: missing inside the image, so nothing to change.
        XCTAssertThrowsError(try fsRoot.chown("/host/secret", Ownership(uid: 1234, gid: 1234)))
        XCTAssertThrowsError(try fsRoot.chmod("/host/secret", 0o777))
        XCTAssertThrowsError(try fsRoot.chmod("/self/secret", 0o777))
        // The link itself (no follow) is changed, not what it points at.
        try fsRoot.chown("/host", Ownership(uid: 1234, gid: 1234))
        var link = stat()
        XCTAssertEqual(lstat(tree.root + "/host", &link), 0)
        XCTAssertEqual(link.st_uid, 1234)
    }

    func testReadlinkAndLstat() throws {
        XCTAssertEqual(try fsRoot.readlink("/up"), "/..")
        XCTAssertEqual(try fsRoot.readlink("/dots/dots/host"), tree.canary)
        XCTAssertThrowsError(try fsRoot.readlink("/etc")) { XCTAssertEqual(($0 as? ConfinedFSError)?.errno, EINVAL) }
        XCTAssertEqual(try fsRoot.lstat("/up").map { $0.st_mode & S_IFMT }, S_IFLNK)
        XCTAssertEqual(try fsRoot.stat("/up").map { $0.st_mode & S_IFMT }, S_IFDIR)
        XCTAssertNil(try fsRoot.stat("/host"))
        XCTAssertEqual(try fsRoot.resolve("/up/dots/etc/../up/etc/motd"), "/etc/motd")
        XCTAssertNil(try fsRoot.resolve("/self"))
    }

    func testRemoveNeverFollows() throws {
        try fsRoot.remove("/host")
        XCTAssertFalse(exists("/host"))
        XCTAssertThrowsError(try fsRoot.remove("/up/..")) { XCTAssertEqual(($0 as? ConfinedFSError)?.errno, EINVAL) }
        XCTAssertThrowsError(try fsRoot.remove("/host/secret"))
        try fsRoot.remove("/up/etc/motd")
        XCTAssertFalse(exists("/etc/motd"))
    }

    func testMountpointsAreMadeInsideAndReturnedResolved() throws {
        for name in HostileTree.escapes.keys {
            let dir = try fsRoot.mountpoint("/\(name)/kiln-confined-made/d", directory: true)
            XCTAssertEqual(dir, tree.resolved(name) + "/kiln-confined-made/d")
            let file = try fsRoot.mountpoint("/\(name)/kiln-confined-made/f", directory: false)
            XCTAssertEqual(file, tree.resolved(name) + "/kiln-confined-made/f")
            var info = stat()
            XCTAssertEqual(lstat(tree.root + file, &info), 0)
            XCTAssertEqual(info.st_mode & S_IFMT, S_IFREG)
        }
        try fsRoot.symlink("/etc/target-file", at: "/file-link")
        XCTAssertEqual(try fsRoot.mountpoint("/file-link", directory: false), "/etc/target-file")
        XCTAssertEqual(try fsRoot.mountpoint("/etc/motd", directory: true), "/etc/motd")  // kept as it is
    }

    func testNoSymlinksPolicyRefusesEveryLink() throws {
        let upper = try ConfinedRoot(tree.root, policy: .noSymlinks)
        for name in HostileTree.escapes.keys {
            XCTAssertThrowsError(try upper.lstat("/\(name)/x")) { XCTAssertEqual(($0 as? ConfinedFSError)?.errno, ELOOP, name) }
            XCTAssertThrowsError(try upper.remove("/\(name)/secret"))
            XCTAssertThrowsError(try upper.mkdirAll("/\(name)/kiln-confined-made"))
        }
        XCTAssertNotNil(try upper.lstat("/up"))
        XCTAssertThrowsError(try upper.lstat("/../x")) { XCTAssertEqual(($0 as? ConfinedFSError)?.errno, EXDEV) }
        try upper.remove("/etc/motd")
    }
}
