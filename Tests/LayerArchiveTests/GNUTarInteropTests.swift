import Foundation
import XCTest
@testable import LayerArchive

/// Reading archives made by GNU tar, and having GNU tar read ours.
final class GNUTarInteropTests: XCTestCase {
    var temp: TempDir!

    override func setUpWithError() throws { temp = try TempDir() }
    override func tearDown() { temp.cleanup() }

    private let longDir = String(repeating: "d", count: 110)
    private let longFile = String(repeating: "f", count: 160)

    /// A tree with long names, non-ASCII names, links, a fifo and an xattr.
    private func makeTree(long: Bool) throws -> String {
        let root = temp.sub("tree")
        try sh("mkdir -p tree/sub tree/empty && printf hello > tree/sub/a.txt && ln -s a.txt tree/sub/sym "
             + "&& ln tree/sub/a.txt tree/sub/hard && mkfifo tree/fifo && printf été > tree/été.txt "
             + "&& touch -d @1700000000 tree/sub/a.txt", cwd: temp.path)
        try Xattrs.set(root + "/sub/a.txt", "user.kiln", [UInt8(ascii: "v"), 0, UInt8(ascii: "1")])
        if long {
            try sh("mkdir -p tree/\(longDir) && head -c 3000 /dev/urandom > tree/\(longDir)/\(longFile)", cwd: temp.path)
        }
        return root
    }

    private func entries(_ tarPath: String) throws -> [String: (TarHeader, [UInt8])] {
        var reader = try TarReader(contentsOf: tarPath)
        var byPath: [String: (TarHeader, [UInt8])] = [:]
        for (header, content) in try readAll(&reader) { byPath[header.path] = (header, content) }
        return byPath
    }

    private func checkCommon(_ byPath: [String: (TarHeader, [UInt8])], xattrs: Bool) throws {
        // GNU tar stores whichever of the two hard-linked names it meets first as the file.
        let pair = [try XCTUnwrap(byPath["tree/sub/a.txt"]), try XCTUnwrap(byPath["tree/sub/hard"])]
        let file = try XCTUnwrap(pair.first { $0.0.type == .regular })
        let link = try XCTUnwrap(pair.first { $0.0.type == .hardlink })
        XCTAssertEqual(link.0.linkName, file.0.path)
        XCTAssertEqual(file.1, Array("hello".utf8))
        XCTAssertEqual(file.0.modificationTime.seconds, 1_700_000_000)
        XCTAssertEqual(file.0.userName, "root")
        if xattrs { XCTAssertEqual(file.0.xattrs["user.kiln"], [UInt8(ascii: "v"), 0, UInt8(ascii: "1")]) }
        XCTAssertEqual(byPath["tree/sub/sym"]?.0.type, .symlink)
        XCTAssertEqual(byPath["tree/sub/sym"]?.0.linkName, "a.txt")
        XCTAssertEqual(byPath["tree/fifo"]?.0.type, .fifo)
        XCTAssertEqual(byPath["tree/empty/"]?.0.type, .directory)
        XCTAssertEqual(byPath["tree/été.txt"]?.1, Array("été".utf8))
    }

    func testReadsPaxArchive() throws {
        _ = try makeTree(long: true)
        try sh("tar --format=pax --xattrs -cf pax.tar tree", cwd: temp.path)
        let byPath = try entries(temp.sub("pax.tar"))
        try checkCommon(byPath, xattrs: true)
        let long = try XCTUnwrap(byPath["tree/\(longDir)/\(longFile)"])
        XCTAssertEqual(long.1, try readFile(temp.sub("tree/\(longDir)/\(longFile)")))
    }

    func testReadsGnuArchiveWithLongNamesAndBase256() throws {
        _ = try makeTree(long: true)
        try sh("ln -s tree/\(longDir)/\(longFile) tree/longlink", cwd: temp.path)
        try sh("tar --format=gnu --owner=big:3000000 --group=0 -cf gnu.tar tree", cwd: temp.path)
        let byPath = try entries(temp.sub("gnu.tar"))
        var withRootName = byPath
        withRootName["tree/sub/a.txt"]?.0.userName = "root"
        withRootName["tree/sub/hard"]?.0.userName = "root"
        try checkCommon(withRootName, xattrs: false)
        XCTAssertNotNil(byPath["tree/\(longDir)/\(longFile)"])
        XCTAssertEqual(byPath["tree/longlink"]?.0.linkName, "tree/\(longDir)/\(longFile)")
        XCTAssertEqual(byPath["tree/sub/sym"]?.0.uid, 3_000_000)
        XCTAssertEqual(byPath["tree/sub/sym"]?.0.userName, "big")
    }

    func testReadsNegativeBase256Time() throws {
        try sh("mkdir t && touch -d @-1000 t/old && tar --format=gnu -cf old.tar t/old", cwd: temp.path)
        XCTAssertEqual(try entries(temp.sub("old.tar"))["t/old"]?.0.modificationTime.seconds, -1000)
    }

    func testReadsUstarArchive() throws {
        _ = try makeTree(long: false)
        try sh("tar --format=ustar -cf ustar.tar tree", cwd: temp.path)
        try checkCommon(try entries(temp.sub("ustar.tar")), xattrs: false)
    }

    func testReadsGlobalPaxHeader() throws {
        try sh("mkdir t && echo a > t/a && echo b > t/b && tar --format=pax --pax-option=uname=globaluser -cf g.tar t",
               cwd: temp.path)
        let byPath = try entries(temp.sub("g.tar"))
        XCTAssertEqual(byPath["t/a"]?.0.userName, "globaluser")
        XCTAssertEqual(byPath["t/b"]?.0.userName, "globaluser")
    }

    func testGnuTarListsAndExtractsOurArchive() throws {
        let longPath = "x/\(longDir)/\(longFile)"
        let content = pattern(5000)
        let entries: [(TarHeader, [UInt8])] = [
            (TarHeader(path: "x", type: .directory, mode: 0o755, modificationTime: TarTime(seconds: 1_600_000_000)), []),
            (TarHeader(path: longPath, type: .regular, mode: 0o640, uid: 1234, gid: 5678,
                       modificationTime: TarTime(seconds: 1_600_000_000, nanoseconds: 250_000_000)), content),
            (TarHeader(path: "x/été", type: .regular, uid: 4_000_000, gid: 4_000_001,
                       xattrs: ["user.kiln": Array("yes".utf8)]), Array("é".utf8)),
            (TarHeader(path: "x/sym", type: .symlink, mode: 0o777, linkName: String(repeating: "t", count: 200)), []),
            (TarHeader(path: "x/hard", type: .hardlink, linkName: "x/été"), []),
            (TarHeader(path: "x/fifo", type: .fifo, mode: 0o644), []),
        ]
        try writeFile(temp.sub("ours.tar"), try makeTar(entries))
        XCTAssertEqual(try sh("tar -tvf ours.tar 2>&1 >/dev/null", cwd: temp.path), "", "no warnings from GNU tar")
        let listing = try sh("tar --numeric-owner -tvf ours.tar", cwd: temp.path)
        XCTAssertTrue(listing.contains(longPath), listing)
        XCTAssertTrue(listing.contains("1234/5678"), listing)
        XCTAssertTrue(listing.contains("4000000/4000001"), listing)
        XCTAssertTrue(listing.contains("x/hard link to x/été"), listing)
        try sh("mkdir out && tar --xattrs --xattrs-include='user.*' --numeric-owner -xf ours.tar -C out", cwd: temp.path)
        XCTAssertEqual(try readFile(temp.sub("out/\(longPath)")), content)
        var info = stat()
        XCTAssertEqual(stat(temp.sub("out/\(longPath)"), &info), 0)
        XCTAssertEqual(info.st_uid, 1234)
        XCTAssertEqual(info.st_mode & 0o7777, 0o640)
        XCTAssertEqual(info.st_mtim.tv_sec, 1_600_000_000)
        XCTAssertEqual(info.st_mtim.tv_nsec, 250_000_000)
        XCTAssertEqual(stat(temp.sub("out/x/hard"), &info), 0)
        XCTAssertEqual(info.st_nlink, 2)
        XCTAssertEqual(try Xattrs.get(temp.sub("out/x/été"), "user.kiln"), Array("yes".utf8))
        XCTAssertEqual(try sh("readlink out/x/sym", cwd: temp.path), String(repeating: "t", count: 200) + "\n")
    }
}
