import Foundation
import XCTest
@testable import LayerArchive

/// Truncated, corrupt and unsupported input: always a clear error, never a crash or a hang.
final class CorruptInputTests: XCTestCase {
    private func sampleTar() throws -> [UInt8] {
        try makeTar([
            (TarHeader(path: String(repeating: "p", count: 200) + "é", type: .regular, xattrs: ["user.x": [1]]), pattern(1500)),
            (TarHeader(path: "second", type: .regular), pattern(10)),
        ])
    }

    func testEveryTruncationIsAnErrorOrACleanPrefix() throws {
        let tar = try sampleTar()
        for cut in 0..<tar.count where cut % 7 == 0 || cut % 512 == 0 {
            do {
                let entries = try readAll(Array(tar.prefix(cut)))
                // A cut at a header boundary reads as a shorter archive (as Go's reader does);
                // so does one inside the second end-of-archive block.
                XCTAssertTrue(cut % 512 == 0 || cut > tar.count - 512, "cut \(cut) read as \(entries.count) entries")
            } catch let error as LayerArchiveError {
                XCTAssertEqual(error.kind, .truncated, "cut \(cut): \(error)")
            }
        }
    }

    func testTruncatedContentNamesTheEntry() throws {
        let tar = try sampleTar()
        let error = assertThrows(.truncated) { try readAll(Array(tar.prefix(1024 + 512 + 100))) }
        XCTAssertEqual(error?.entry?.hasSuffix("é"), true)
    }

    func testFlippedBytesNeverCrash() throws {
        let tar = try sampleTar()
        for i in stride(from: 0, to: 2048, by: 3) {
            var bad = tar
            bad[i] ^= 0x5a
            _ = try? readAll(bad)
        }
    }

    func testBadChecksum() throws {
        var tar = try sampleTar()
        tar[3] ^= 1
        assertThrows(.corruptArchive) { try readAll(tar) }
    }

    func testNotATarAtAll() throws {
        assertThrows(.corruptArchive) { try readAll(pattern(2048)) }
        XCTAssertEqual(try readAll([]).count, 0)
    }

    /// Builds a raw header block with a chosen typeflag, size field and PAX data.
    private func rawEntry(_ name: String, flag: Character, data: [UInt8]) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        HeaderField.putString(Array(name.utf8), into: &block, UstarField.name)
        HeaderField.putOctal(0o644, into: &block, UstarField.mode)
        HeaderField.putOctal(Int64(data.count), into: &block, UstarField.size)
        block[UstarField.typeflag] = flag.asciiValue!
        HeaderField.putString(Array("ustar\u{0}00".utf8), into: &block, UstarField.magic.lowerBound..<UstarField.version.upperBound)
        HeaderField.putChecksum(into: &block)
        return block + data + [UInt8](repeating: 0, count: Int(tarPadded(Int64(data.count))) - data.count)
    }

    func testMalformedPaxRecords() throws {
        for data in ["99 path=x\n", "5 path=x\n", "x path=y\n", "12 pathx\n00", "9 =value\n", "11 size=ab\n",
                     "12 mtime=1.x\n"] {
            let tar = rawEntry("PaxHeaders/f", flag: "x", data: Array(data.utf8)) + rawEntry("f", flag: "0", data: [])
                + [UInt8](repeating: 0, count: 1024)
            assertThrows(.corruptArchive) { try readAll(tar) }
        }
    }

    func testPaxHeaderWithoutEntry() throws {
        let pax = rawEntry("PaxHeaders/f", flag: "x", data: Array("10 path=x\n".utf8))
        assertThrows(.truncated) { try readAll(pax) }
        assertThrows(.corruptArchive) { try readAll(pax + [UInt8](repeating: 0, count: 1024)) }
    }

    func testHugeMetadataIsRefused() throws {
        var block = rawEntry("././@LongLink", flag: "L", data: [])
        HeaderField.putOctal(1 << 30, into: &block, UstarField.size)
        for i in UstarField.checksum { block[i] = 0 }
        HeaderField.putChecksum(into: &block)
        assertThrows(.corruptArchive) { try readAll(block) }
    }

    func testUnsupportedTypes() throws {
        assertThrows(.unsupported) { try readAll(rawEntry("s", flag: "S", data: [])) }
        assertThrows(.unsupported) { try readAll(rawEntry("v", flag: "V", data: [])) }
        let sparse = rawEntry("PaxHeaders/f", flag: "x", data: Array("22 GNU.sparse.major=1\n".utf8))
            + rawEntry("f", flag: "0", data: [])
        assertThrows(.unsupported) { try readAll(sparse) }
    }

    func testGnuLongNameBlocks() throws {
        let name = String(repeating: "n", count: 300)
        let tar = rawEntry("././@LongLink", flag: "L", data: Array(name.utf8) + [0])
            + rawEntry("short", flag: "0", data: [1, 2]) + [UInt8](repeating: 0, count: 1024)
        let entries = try readAll(tar)
        XCTAssertEqual(entries.first?.0.path, name)
        XCTAssertEqual(entries.first?.1, [1, 2])
    }

    func testDirectoryWithNonZeroSizeHasNoContent() throws {
        let tar = rawEntry("d/", flag: "5", data: []) + rawEntry("f", flag: "0", data: [7])
            + [UInt8](repeating: 0, count: 1024)
        let entries = try readAll(tar)
        XCTAssertEqual(entries.map(\.0.path), ["d/", "f"])
    }
}

/// A tar in a regular file skips unread content with `lseek` (FileDescriptor.skipAhead): the same
/// entries as reading through, and a file cut inside a skipped entry is still `.truncated`.
final class SeekingSkipTests: XCTestCase {
    private func tarFile(_ bytes: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "/kiln-skip-\(UInt32.random(in: 0...UInt32.max)).tar"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        addTeardownBlock { unlink(path) }
        return path
    }

    private func entries(_ path: String) throws -> [String] {
        var reader = try TarReader(detectingCompressionOf: path)
        var names: [String] = []
        while let header = try reader.next() { names.append(header.path) }
        return names
    }

    func testSkippedLargeContentGivesTheSameEntries() throws {
        let tar = try makeTar([
            (TarHeader(path: "big", type: .regular), pattern(1_000_003)),
            (TarHeader(path: "small", type: .regular), pattern(10)),
            (TarHeader(path: "big2", type: .regular), pattern(300_000)),
        ])
        XCTAssertEqual(try entries(try tarFile(tar)), ["big", "small", "big2"])
        var plain = try TarReader(contentsOf: try tarFile(tar))
        var names: [String] = []
        while let header = try plain.next() { names.append(header.path) }
        XCTAssertEqual(names, ["big", "small", "big2"])
    }

    func testFileCutInsideSkippedContentIsTruncated() throws {
        let tar = try makeTar([
            (TarHeader(path: "big", type: .regular), pattern(1_000_003)),
            (TarHeader(path: "after", type: .regular), pattern(10)),
        ])
        for cut in [512 + 70_000, 512 + 999_999, 512 + 1_000_003 + 100] {
            let path = try tarFile(Array(tar.prefix(cut)))
            XCTAssertThrowsError(try entries(path), "cut \(cut)") { error in
                XCTAssertEqual((error as? LayerArchiveError)?.kind, .truncated, "cut \(cut): \(error)")
            }
        }
    }
}
