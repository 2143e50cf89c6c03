import Foundation
import XCTest
@testable import LayerArchive

final class LayerApplierTests: XCTestCase {
    var temp: TempDir!
    var root: String { temp.sub("root") }

    override func setUpWithError() throws {
        temp = try TempDir()
        try sh("mkdir root", cwd: temp.path)
    }
    override func tearDown() { temp.cleanup() }

    @discardableResult
    func apply(_ entries: [(TarHeader, [UInt8])], options: LayerApplyOptions = LayerApplyOptions()) throws -> LayerApplyReport {
        var reader = TarReader(InMemorySource(try makeTar(entries)))
        return try LayerApplier(target: root, options: options).apply(&reader)
    }

    func file(_ path: String, _ text: String, mode: UInt32 = 0o644, uid: Int = 0, gid: Int = 0,
              time: Int64 = 1_600_000_000, xattrs: [String: [UInt8]] = [:]) -> (TarHeader, [UInt8]) {
        (TarHeader(path: path, type: .regular, mode: mode, uid: uid, gid: gid,
                   modificationTime: TarTime(seconds: time), xattrs: xattrs), Array(text.utf8))
    }

    func dir(_ path: String, mode: UInt32 = 0o755, time: Int64 = 1_500_000_000) -> (TarHeader, [UInt8]) {
        (TarHeader(path: path, type: .directory, mode: mode, modificationTime: TarTime(seconds: time)), [])
    }

    func link(_ path: String, _ target: String, type: TarEntryType = .symlink) -> (TarHeader, [UInt8]) {
        (TarHeader(path: path, type: type, mode: 0o777, linkName: target), [])
    }

    func text(_ path: String) throws -> String {
        String(decoding: try readFile(root + "/" + path), as: UTF8.self)
    }

    func lstatOf(_ path: String) -> stat? {
        var info = stat()
        return lstat(path, &info) == 0 ? info : nil
    }

    func exists(_ relative: String) -> Bool { lstatOf(root + "/" + relative) != nil }
}

// MARK: - Ordinary layers

extension LayerApplierTests {
    func testAppliesEntriesWithMetadata() throws {
        try apply([
            dir("etc/", mode: 0o750, time: 1_500_000_000),
            file("etc/conf", "x=1", mode: 0o4755, uid: 1000, gid: 2000, time: 1_600_000_123,
                 xattrs: ["user.kiln": Array("v".utf8), "security.capability": [1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]),
            link("etc/sym", "conf"),
            link("etc/hard", "etc/conf", type: .hardlink),
            (TarHeader(path: "dev/null", type: .characterDevice, mode: 0o666, deviceMajor: 1, deviceMinor: 3), []),
            (TarHeader(path: "run/fifo", type: .fifo, mode: 0o620), []),
        ])
        XCTAssertEqual(try text("etc/conf"), "x=1")
        let conf = try XCTUnwrap(lstatOf(root + "/etc/conf"))
        XCTAssertEqual(conf.st_mode & 0o7777, 0o4755)
        XCTAssertEqual(conf.st_uid, 1000)
        XCTAssertEqual(conf.st_gid, 2000)
        XCTAssertEqual(conf.st_mtim.tv_sec, 1_600_000_123)
        XCTAssertEqual(conf.st_nlink, 2)
        XCTAssertEqual(lstatOf(root + "/etc/hard")?.st_ino, conf.st_ino)
        XCTAssertEqual(try Xattrs.get(root + "/etc/conf", "user.kiln"), Array("v".utf8))
        XCTAssertNotNil(try Xattrs.get(root + "/etc/conf", "security.capability"))
        let etc = try XCTUnwrap(lstatOf(root + "/etc"))
        XCTAssertEqual(etc.st_mode & 0o7777, 0o750)
        XCTAssertEqual(etc.st_mtim.tv_sec, 1_500_000_000, "directory time set after its content")
        XCTAssertEqual(try LayerPath.readLink(AT_FDCWD, root + "/etc/sym", entry: ""), "conf")
        XCTAssertEqual(lstatOf(root + "/run/fifo")?.st_mode, S_IFIFO | 0o620)
        let null = try XCTUnwrap(lstatOf(root + "/dev/null"))
        XCTAssertEqual(null.st_mode & S_IFMT, S_IFCHR)
        XCTAssertEqual(null.st_rdev, dev_t(1 << 8 | 3))
    }

    func testReplacesEntriesLikeDocker() throws {
        try apply([file("a", "file"), dir("b/"), file("b/inner", "x"), dir("keep/"), file("keep/old", "o")])
        try apply([dir("a/"), file("b", "now a file"), dir("keep/", mode: 0o700), file("keep/new", "n")])
        XCTAssertEqual(lstatOf(root + "/a")!.st_mode & S_IFMT, S_IFDIR)
        XCTAssertEqual(try text("b"), "now a file")
        XCTAssertEqual(try text("keep/old"), "o", "directory over directory keeps content")
        XCTAssertEqual(lstatOf(root + "/keep")!.st_mode & 0o7777, 0o700)
    }

    func testWhiteoutsDeleteAndOpaqueClearsLowerOnly() throws {
        try apply([dir("d/"), file("d/gone", "1"), dir("d/sub/"), file("d/sub/x", "2"), dir("o/"), file("o/lower", "3"),
                   file("top", "4")])
        try apply([
            dir("o/"), file("o/fromThisLayer", "new"),
            file("d/.wh.gone", ""), file("d/.wh.sub", ""), file(".wh.top", ""), file(".wh.missing", ""),
            file("o/implied/deep", "d"),  // its parent o/implied comes from this layer too
            file("o/.wh..wh..opq", ""),  // after siblings from this layer: those stay
        ])
        XCTAssertEqual(try text("o/implied/deep"), "d")
        XCTAssertFalse(exists("d/gone"))
        XCTAssertFalse(exists("d/sub"))
        XCTAssertFalse(exists("top"))
        XCTAssertFalse(exists("o/lower"))
        XCTAssertEqual(try text("o/fromThisLayer"), "new")
        XCTAssertFalse(exists("d/.wh.gone"), "whiteouts are not created as files")
        XCTAssertFalse(exists("o/.wh..wh..opq"))
    }

    func testOverlayMarkerMode() throws {
        let report = try apply([dir("o/"), file("o/.wh..wh..opq", ""), file(".wh.gone", ""), file("o/new", "n")],
                               options: LayerApplyOptions(whiteouts: .overlayMarkers))
        XCTAssertEqual(report.whiteouts, 2)
        let marker = try XCTUnwrap(lstatOf(root + "/gone"))
        XCTAssertEqual(marker.st_mode & S_IFMT, S_IFCHR)
        XCTAssertEqual(marker.st_rdev, 0)
        XCTAssertEqual(try Xattrs.get(root + "/o", "trusted.overlay.opaque"), Array("y".utf8))
        XCTAssertEqual(try text("o/new"), "n")
    }

    func testAppliesGzipBlobAndGnuTarArchivesIdentically() throws {
        try sh("mkdir -p src/a/b && printf one > src/a/one && ln -s one src/a/sym && ln src/a/one src/a/hard "
             + "&& mkfifo src/a/b/fifo && chmod 1777 src/a/b && chown 123:456 src/a/one "
             + "&& touch -h -d @1234567890 src/a/sym src/a/one src/a/b src/a src", cwd: temp.path)
        try Xattrs.set(temp.sub("src/a/one"), "user.x", Array("1".utf8))
        try sh("tar --xattrs --format=pax -C src -cf - . | gzip > layer.tgz", cwd: temp.path)
        try LayerApplier(target: root).apply(blobFile: temp.sub("layer.tgz"))
        let listing = "find . -printf '%p %y %m %U %G %s %T@ %l %n\\n' | sort"
        XCTAssertEqual(try sh(listing, cwd: root), try sh(listing, cwd: temp.sub("src")))
        XCTAssertEqual(try Xattrs.get(root + "/a/one", "user.x"), Array("1".utf8))
    }

    func testUnprivilegedOptionsSkipOwnership() throws {
        try apply([file("f", "x", uid: 4242)], options: LayerApplyOptions(preserveOwnership: false))
        XCTAssertEqual(lstatOf(root + "/f")?.st_uid, geteuid())
    }
}

// MARK: - Hostile layers

extension LayerApplierTests {
    /// A directory beside the target holding a file that must never change.
    func makeOutside() throws -> String {
        try sh("mkdir -p outside && printf secret > outside/secret", cwd: temp.path)
        return temp.sub("outside")
    }

    func assertOutsideUntouched(file: StaticString = #filePath, line: UInt = #line) throws {
        let outside = temp.sub("outside")
        XCTAssertEqual(try sh("ls -A \(outside)"), "secret\n", file: file, line: line)
        XCTAssertEqual(String(decoding: try readFile(outside + "/secret"), as: UTF8.self), "secret", file: file, line: line)
        XCTAssertEqual(lstatOf(outside + "/secret")?.st_nlink, 1, file: file, line: line)
    }

    func testDotDotPathsAreRejected() throws {
        _ = try makeOutside()
        for name in ["../outside/evil", "a/../../outside/evil", "./../evil", "../.wh.secret", "x/../../outside/.wh..wh..opq"] {
            let error = assertThrows(.unsafeEntry) { try self.apply([self.file(name, "pwned")]) }
            XCTAssertEqual(error?.entry, name)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: temp.sub("evil")))
        try assertOutsideUntouched()
    }

    func testAbsolutePathsAreConfined() throws {
        let outside = try makeOutside()
        try apply([file(outside + "/secret", "pwned"), file("/etc/kiln-test-file", "inside")])
        XCTAssertEqual(try text(outside + "/secret"), "pwned")
        XCTAssertEqual(try text("etc/kiln-test-file"), "inside")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/etc/kiln-test-file"))
        try assertOutsideUntouched()
    }

    func testSymlinkComponentsResolveInsideTheRoot() throws {
        let outside = try makeOutside()
        try apply([
            link("abs", outside), file("abs/secret", "pwned-abs"),
            link("rel", "../../../../../../../../" + outside), file("rel/new", "pwned-rel"),
            link("hostetc", "/etc"), file("hostetc/passwd", "confined"),
        ])
        XCTAssertEqual(try text(outside + "/secret"), "pwned-abs")
        XCTAssertEqual(try text(outside + "/new"), "pwned-rel")
        XCTAssertEqual(try text("etc/passwd"), "confined", "followed inside the root")
        XCTAssertEqual(lstatOf(root + "/hostetc")!.st_mode & S_IFMT, S_IFLNK)
        XCTAssertNotEqual(String(decoding: try readFile("/etc/passwd"), as: UTF8.self), "confined")
        // A symlink to itself, as seen from inside the root, is a loop, not a way out.
        assertThrows(.unsafeEntry) { try self.apply([self.link("etc", "/etc"), self.file("etc/x", "")]) }
        try assertOutsideUntouched()
    }

    func testFinalSymlinkIsReplacedNotWrittenThrough() throws {
        let outside = try makeOutside()
        try apply([link("x", outside + "/secret"), file("x", "replaced")])
        XCTAssertEqual(try text("x"), "replaced")
        XCTAssertEqual(lstatOf(root + "/x")!.st_mode & S_IFMT, S_IFREG)
        try assertOutsideUntouched()
    }

    func testHardlinksCannotReachOutside() throws {
        let outside = try makeOutside()
        assertThrows(.unsafeEntry) { try self.apply([self.link("h", "../outside/secret", type: .hardlink)]) }
        assertThrows(.io) { try self.apply([self.link("h", outside + "/secret", type: .hardlink)]) }
        assertThrows(.io) { try self.apply([self.link("l", outside), self.link("h", "l/secret", type: .hardlink)]) }
        XCTAssertFalse(exists("h"))
        try assertOutsideUntouched()
        // A hardlink to a symlink links the symlink itself.
        try apply([link("s", outside + "/secret"), link("h2", "s", type: .hardlink)])
        XCTAssertEqual(lstatOf(root + "/h2")!.st_mode & S_IFMT, S_IFLNK)
        try assertOutsideUntouched()
    }

    func testWhiteoutsCannotDeleteOutside() throws {
        let outside = try makeOutside()
        try apply([link("l", outside), file("l/.wh.secret", ""), file("l/.wh..wh..opq", "")])
        assertThrows(.unsafeEntry) { try self.apply([self.file(".wh..", "")]) }
        assertThrows(.unsafeEntry) { try self.apply([self.file("sub/.wh.", "")]) }
        assertThrows(.unsafeEntry) { try self.apply([self.file("sub/.wh...", "")]) }
        try assertOutsideUntouched()
        XCTAssertTrue(exists("l"))
    }

    func testSymlinkLoopsAndFileParentsAreErrors() throws {
        assertThrows(.unsafeEntry) { try self.apply([self.link("a", "b"), self.link("b", "a"), self.file("a/x", "")]) }
        assertThrows(.unsafeEntry) { try self.apply([self.file("f", "x"), self.file("f/x", "")]) }
    }

    func testNonDirectoryRootEntryIsRejected() throws {
        assertThrows(.unsafeEntry) { try self.apply([self.file("./", "x")]) }
        try apply([dir("./", mode: 0o711, time: 1_000)])
        XCTAssertEqual(lstatOf(root)!.st_mode & 0o7777, 0o711)
        XCTAssertEqual(lstatOf(root)!.st_mtim.tv_sec, 1_000)
    }
}

// MARK: - Names longer than PATH_MAX (resolved by ConfinedFS in steps)

extension LayerApplierTests {
    /// 24 directories of 200 bytes: about 4,850 bytes, more than openat2 takes in one call.
    private var longDirectory: String { (0..<24).map { String(format: "%02d", $0) + String(repeating: "l", count: 198) }.joined(separator: "/") }

    /// The directory `relative` below the target, reached one `openat` at a time (no single path
    /// handed to the kernel is longer than PATH_MAX): its entries, and its file `name`'s content and link count.
    private func inside(_ relative: String, file name: String) throws -> (names: [String], content: String, links: Int) {
        var dir = open(root, O_RDONLY | O_DIRECTORY)
        for component in relative.split(separator: "/") {
            let next = openat(dir, String(component), O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
            close(dir)
            guard next >= 0 else { throw LayerArchiveError(.io, "no directory \(component)") }
            dir = next
        }
        defer { close(dir) }
        var info = stat()
        guard fstatat(dir, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { throw LayerArchiveError(.io, "no file \(name)") }
        let fd = openat(dir, name, O_RDONLY | O_NOFOLLOW)
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = read(fd, &buffer, buffer.count)
        close(fd)
        let names = try DirectoryOps.list(dir, entry: relative).map(DirectoryOps.decode).sorted()
        return (names, String(decoding: buffer[0..<max(count, 0)], as: UTF8.self), Int(info.st_nlink))
    }

    func testNamesLongerThanPathMaxApplyInsideTheTarget() throws {
        let deep = longDirectory
        XCTAssertGreaterThan(deep.utf8.count, Int(PATH_MAX))
        try apply([
            file(deep + "/f", "deep"),
            link(deep + "/h", deep + "/f", type: .hardlink),
            link(deep + "/up", "/"),
            file(deep + "/up/top", "through a symlink deep down"),
            file(deep + "/gone", "x"),
            file(deep + "/.wh.gone", ""),
        ])
        let found = try inside(deep, file: "f")
        XCTAssertEqual(found.content, "deep")
        XCTAssertEqual(found.links, 2, "the hard link is not a link of f")
        XCTAssertEqual(found.names, ["f", "h", "up"])
        XCTAssertEqual(try text("top"), "through a symlink deep down")
    }
}
