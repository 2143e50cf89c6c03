import Builder
import Foundation
import XCTest

/// Issue 14: `ADD layer.tar /dst/` crashed kiln (SIGILL, "Range requires lowerBound <= upperBound" in
/// TarNormalizer.copy) on a tar with garbage after its end blocks or a header whose base-256 size is negative
/// or 2^63-1, leaving an overlay mount behind. Now the tar's header rules are LayerArchive's `TarBlock`, shared
/// with `TarReader`: garbage after the end is ignored (as Go's reader does), a bad size is a clear error.
final class AddHostileTarTests: BuilderTestCase {
    /// A ustar header block for a regular file `name` whose size field is `sizeField` (12 bytes).
    static func header(_ name: String, sizeField: [UInt8]) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        block.replaceSubrange(0..<name.utf8.count, with: Array(name.utf8))
        block.replaceSubrange(100..<108, with: Array("0000644\0".utf8))
        block.replaceSubrange(108..<116, with: Array("0000000\0".utf8))
        block.replaceSubrange(116..<124, with: Array("0000000\0".utf8))
        block.replaceSubrange(124..<136, with: sizeField)
        block.replaceSubrange(136..<148, with: Array("14000000000\0".utf8))
        block[156] = UInt8(ascii: "0")
        block.replaceSubrange(257..<265, with: Array("ustar\u{0}00".utf8))
        block.replaceSubrange(148..<156, with: [UInt8](repeating: 0x20, count: 8))
        let sum = block.reduce(0) { $0 + Int($1) }
        block.replaceSubrange(148..<156, with: Array(String(format: "%06o\0 ", sum).utf8))
        return block
    }

    static func octalSize(_ n: Int) -> [UInt8] { Array(String(format: "%011o\0", n).utf8) }

    /// A one-file tar ("hello.txt" holding "hello\n") and its two end blocks.
    static var validTar: [UInt8] {
        var content = Array("hello\n".utf8)
        content += [UInt8](repeating: 0, count: 512 - content.count)
        return header("hello.txt", sizeField: octalSize(6)) + content + [UInt8](repeating: 0, count: 1024)
    }

    func testGarbageAfterTheEndBlocksIsIgnored() async throws {
        var bytes = Self.validTar
        bytes += Array("this is not a tar header at all".utf8) + [UInt8](repeating: 0xFF, count: 2000)
        // A "header" after the end whose size field is absurd must not be looked at either.
        bytes += Self.header("after-end.txt", sizeField: [0xFF] + [UInt8](repeating: 0xFF, count: 11))
        try Data(bytes).write(to: context.appendingPathComponent("layer.tar"))
        let (result, _) = try await build("FROM scratch\nADD layer.tar /dst/\n")
        XCTAssertEqual(try file("dst/hello.txt", in: result), "hello\n")
        XCTAssertNil(try file("dst/after-end.txt", in: result))
    }

    func testANegativeBase256SizeIsAClearError() async throws {
        // GNU base-256, two's complement: all bits set is -1.
        let negative = [UInt8](repeating: 0xFF, count: 12)
        try Data(Self.validTar.prefix(1024) + Self.header("bad.txt", sizeField: negative) + [UInt8](repeating: 0, count: 1024))
            .write(to: context.appendingPathComponent("layer.tar"))
        await assertBuildFails("FROM scratch\nADD layer.tar /dst/\n", line: 2, ["bad.txt", "negative entry size"])
        assertNothingMounted()
    }

    func testAHugeBase256SizeIsAClearError() async throws {
        // 2^63-1 in base-256: the marker byte, then 0x7FFFFFFFFFFFFFFF in the last eight bytes.
        let huge: [UInt8] = [0x80, 0, 0, 0x00, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
        try Data(Self.header("huge.bin", sizeField: huge) + [UInt8](repeating: 0, count: 1024))
            .write(to: context.appendingPathComponent("layer.tar"))
        await assertBuildFails("FROM scratch\nADD layer.tar /dst/\n", line: 2, ["huge.bin", "implausibly large"])
        assertNothingMounted()
    }

    private func assertNothingMounted(file: StaticString = #filePath, line: UInt = #line) {
        let store = root.appendingPathComponent("store").path
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        XCTAssertFalse(mounts.contains(" \(store)/"), "a mount is left under the store", file: file, line: line)
    }
}
