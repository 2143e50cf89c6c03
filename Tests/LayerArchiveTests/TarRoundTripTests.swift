import XCTest
@testable import LayerArchive

final class TarRoundTripTests: XCTestCase {
    func testRoundTripOfEveryType() throws {
        let entries: [(TarHeader, [UInt8])] = [
            (TarHeader(path: "dir/", type: .directory, mode: 0o755, modificationTime: TarTime(seconds: 1_700_000_000)), []),
            (TarHeader(path: "dir/file.txt", type: .regular, mode: 0o4755, uid: 1000, gid: 1000, size: 5,
                       modificationTime: TarTime(seconds: 1_700_000_001)), Array("hello".utf8)),
            (TarHeader(path: "dir/link", type: .symlink, mode: 0o777, linkName: "file.txt"), []),
            (TarHeader(path: "dir/hard", type: .hardlink, linkName: "dir/file.txt"), []),
            (TarHeader(path: "dev/null", type: .characterDevice, mode: 0o666, deviceMajor: 1, deviceMinor: 3), []),
            (TarHeader(path: "dev/sda", type: .blockDevice, mode: 0o660, deviceMajor: 8, deviceMinor: 0), []),
            (TarHeader(path: "run/fifo", type: .fifo, mode: 0o600), []),
            (TarHeader(path: "big", type: .regular, size: 70_000), pattern(70_000)),
        ]
        let tar = try makeTar(entries)
        XCTAssertEqual(tar.count % 512, 0)
        let back = try readAll(tar)
        XCTAssertEqual(back.count, entries.count)
        for (read, written) in zip(back, entries) {
            XCTAssertEqual(read.0, written.0)
            XCTAssertEqual(read.1, written.1)
        }
    }

    func testNoPaxForPlainEntriesLikeGo() throws {
        let tar = try makeTar([(TarHeader(path: "a/b", type: .regular), Array("x".utf8))])
        // header + one content block + two end blocks; no PAX header.
        XCTAssertEqual(tar.count, 4 * 512)
        XCTAssertEqual(tar[156], UInt8(ascii: "0"))
        XCTAssertEqual(Array(tar[257..<265]), Array("ustar\u{0}00".utf8))
    }

    func testLongPathSplitsIntoUstarPrefix() throws {
        let long = String(repeating: "d", count: 120) + "/" + String(repeating: "f", count: 90)
        let tar = try makeTar([(TarHeader(path: long, type: .regular), [])])
        XCTAssertEqual(tar[156], UInt8(ascii: "0"), "split fits ustar: no PAX header")
        XCTAssertEqual(try readAll(tar).first?.0.path, long)
    }

    func testPaxOnlyWhenNeeded() throws {
        let header = TarHeader(
            path: String(repeating: "x", count: 300), type: .symlink, uid: 3_000_000, gid: 5,
            userName: "üser", groupName: String(repeating: "g", count: 40),
            modificationTime: TarTime(seconds: 1_700_000_000, nanoseconds: 500_000_000),
            linkName: String(repeating: "l", count: 150),
            xattrs: ["security.capability": [1, 0, 0, 2, 0xff], "user.a": Array("b".utf8)])
        let tar = try makeTar([(header, [])])
        XCTAssertEqual(tar[156], UInt8(ascii: "x"))
        let paxSize = Int(HeaderField.number(Array(tar[0..<512]), UstarField.size)!)
        let records = try PaxRecords.parse(Array(tar[512..<(512 + paxSize)]))
        XCTAssertEqual(records.map(\.key), ["SCHILY.xattr.security.capability", "SCHILY.xattr.user.a", "gname",
                                            "linkpath", "mtime", "path", "uid", "uname"])
        XCTAssertEqual(try readAll(tar).first?.0, header)
    }

    func testNonAsciiNameUsesPax() throws {
        let header = TarHeader(path: "données/été.txt", type: .regular)
        let tar = try makeTar([(header, [])])
        XCTAssertEqual(tar[156], UInt8(ascii: "x"))
        XCTAssertEqual(try readAll(tar).first?.0.path, "données/été.txt")
    }

    func testFractionalAndNegativeTimes() throws {
        for time in [TarTime(seconds: 5, nanoseconds: 1), TarTime(seconds: -2, nanoseconds: 750_000_000),
                     TarTime(seconds: -10), TarTime(seconds: 1 << 40)] {
            let tar = try makeTar([(TarHeader(path: "t", type: .regular, modificationTime: time), [])])
            XCTAssertEqual(try readAll(tar).first?.0.modificationTime, time)
        }
        XCTAssertEqual(PaxRecords.formatTime(TarTime(seconds: -2, nanoseconds: 750_000_000)), "-1.25")
    }

    func testDirectoryGetsTrailingSlash() throws {
        let tar = try makeTar([(TarHeader(path: "d", type: .directory), [])])
        XCTAssertEqual(try readAll(tar).first?.0.path, "d/")
    }

    func testLargeDeviceNumbersUseBase256() throws {
        let header = TarHeader(path: "dev/x", type: .characterDevice, deviceMajor: 0x3fff_ffff, deviceMinor: 7)
        XCTAssertEqual(try readAll(try makeTar([(header, [])])).first?.0, header)
    }

    func testWriterContract() throws {
        var writer = TarWriter([UInt8]())
        try writer.writeHeader(TarHeader(path: "f", type: .regular, size: 3))
        try writer.writeContent([1, 2])
        assertThrows(.invalidUse) { try writer.writeContent([3, 4]) }
        assertThrows(.invalidUse) { try writer.writeHeader(TarHeader(path: "g", type: .regular)) }
        try writer.writeContent([3])
        try writer.finish()
        assertThrows(.invalidUse) { try writer.finish() }
    }

    func testStreamingContentInSmallChunks() throws {
        let data = pattern(10_000)
        let tar = try makeTar([(TarHeader(path: "f", type: .regular), data), (TarHeader(path: "g", type: .regular), [9])])
        var reader = TarReader(InMemorySource(tar))
        _ = try reader.next()
        var got: [UInt8] = []
        while true {
            let chunk = try reader.readContent(upTo: 7)
            if chunk.isEmpty { break }
            got += chunk
        }
        XCTAssertEqual(got, data)
        XCTAssertEqual(try reader.next()?.path, "g")
        XCTAssertEqual(try reader.readAllContent(), [9])
        XCTAssertNil(try reader.next())
        XCTAssertNil(try reader.next())
    }

    func testSkippingUnreadContent() throws {
        let tar = try makeTar([(TarHeader(path: "f", type: .regular), pattern(3000)),
                               (TarHeader(path: "g", type: .regular), [1])])
        var reader = TarReader(InMemorySource(tar))
        XCTAssertEqual(try reader.next()?.path, "f")
        _ = try reader.readContent(upTo: 10)
        XCTAssertEqual(try reader.next()?.path, "g")
    }
}
