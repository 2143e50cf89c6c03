import Foundation
import XCTest
@testable import LayerArchive

final class GzipTests: XCTestCase {
    var temp: TempDir!

    override func setUpWithError() throws { temp = try TempDir() }
    override func tearDown() { temp.cleanup() }

    private func compress(_ data: [UInt8], level: Int32 = -1, chunk: Int = 10_000) throws -> [UInt8] {
        let compressor = try GzipCompressor(sink: [UInt8](), level: level)
        var offset = 0
        while offset < data.count {
            let end = min(data.count, offset + chunk)
            try compressor.write(Array(data[offset..<end]))
            offset = end
        }
        try compressor.finish()
        return compressor.sink
    }

    private func decompress(_ data: [UInt8], readSize: Int = 4096) throws -> [UInt8] {
        let source = try GzipDecompressingSource(InMemorySource(data))
        var out: [UInt8] = []
        while true {
            let chunk = try source.read(upTo: readSize)
            if chunk.isEmpty { return out }
            out += chunk
        }
    }

    func testGzipDecompressesOurOutput() throws {
        let data = pattern(300_000) + [UInt8](repeating: 7, count: 500_000)
        let gz = try compress(data)
        XCTAssertEqual(Array(gz.prefix(4)), [0x1f, 0x8b, 8, 0])
        try writeFile(temp.sub("a.gz"), gz)
        try sh("gzip -d a.gz", cwd: temp.path)
        XCTAssertEqual(try readFile(temp.sub("a")), data)
    }

    func testCompressionIsDeterministic() throws {
        let data = pattern(100_000)
        XCTAssertEqual(try compress(data, chunk: 1000), try compress(data, chunk: 77_777))
    }

    func testReadsGzipOutput() throws {
        let data = pattern(200_000) + [UInt8](repeating: 0, count: 3_000_000)
        try writeFile(temp.sub("b"), data)
        try sh("gzip -c -9 b > b.gz", cwd: temp.path)
        let gz = try readFile(temp.sub("b.gz"))
        XCTAssertEqual(try decompress(gz), data)
        XCTAssertEqual(try decompress(gz, readSize: 1), Array(data.prefix(0)) + data, "tiny reads")
    }

    func testPushDecompressor() throws {
        let data = pattern(123_456)
        let gz = try compress(data)
        let decompressor = try GzipDecompressor(sink: [UInt8]())
        for start in stride(from: 0, to: gz.count, by: 1000) {
            try decompressor.write(Array(gz[start..<min(gz.count, start + 1000)]))
        }
        try decompressor.finish()
        XCTAssertEqual(decompressor.sink, data)
    }

    func testConcatenatedMembersAndZeroPadding() throws {
        let a = pattern(1000, seed: 1), b = pattern(2000, seed: 2)
        XCTAssertEqual(try decompress(try compress(a) + compress(b)), a + b)
        XCTAssertEqual(try decompress(try compress(a) + [0, 0, 0, 0]), a)
        assertThrows(.corruptArchive) { try self.decompress(try self.compress(a) + [0, 0, 1, 2]) }
        assertThrows(.corruptArchive) { try self.decompress(try self.compress(a) + Array("garbage".utf8)) }
    }

    func testTruncatedAndCorruptStreams() throws {
        let gz = try compress(pattern(50_000))
        for cut in [1, 5, 10, gz.count / 2, gz.count - 1] {
            assertThrows(.truncated) { try self.decompress(Array(gz.prefix(cut))) }
        }
        assertThrows(.truncated) { try self.decompress([]) }
        var corrupt = gz
        corrupt[gz.count / 2] ^= 0xff
        corrupt[gz.count / 2 + 1] ^= 0x55
        XCTAssertThrowsError(try decompress(corrupt))
        var badCRC = gz
        badCRC[gz.count - 6] ^= 1
        assertThrows(.corruptArchive) { try self.decompress(badCRC) }
        assertThrows(.corruptArchive) { try self.decompress(Array("not gzip at all".utf8)) }
    }

    func testSniffing() throws {
        XCTAssertEqual(CompressionSniffer.detect([0x1f, 0x8b, 8]), .gzip)
        XCTAssertEqual(CompressionSniffer.detect(Array("BZh91AY".utf8)), .bzip2)
        XCTAssertEqual(CompressionSniffer.detect([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0]), .xz)
        XCTAssertEqual(CompressionSniffer.detect([0x28, 0xb5, 0x2f, 0xfd, 1]), .zstd)
        XCTAssertEqual(CompressionSniffer.detect([0x1f]), .none)
        XCTAssertEqual(CompressionSniffer.detect(Array("ustar".utf8)), .none)

        let tar = try makeTar([(TarHeader(path: "f", type: .regular), [1, 2, 3])])
        for blob in [tar, try compress(tar)] {
            let (kind, source) = try CompressionSniffer.decompressing(InMemorySource(blob))
            XCTAssertEqual(kind, blob == tar ? .none : .gzip)
            var reader = TarReader(AnyByteSource(source))
            XCTAssertEqual(try readAll(&reader).first?.1, [1, 2, 3])
        }
        try writeFile(NSTemporaryDirectory() + "/kiln-sniff-\(getpid()).tgz", try compress(tar))
        var fromFile = try TarReader(detectingCompressionOf: NSTemporaryDirectory() + "/kiln-sniff-\(getpid()).tgz")
        XCTAssertEqual(try readAll(&fromFile).first?.0.path, "f")
        unlink(NSTemporaryDirectory() + "/kiln-sniff-\(getpid()).tgz")
        let error = assertThrows(.unsupported) { try CompressionSniffer.decompressing(InMemorySource(Array("BZh91AY".utf8))) }
        XCTAssertTrue(error?.message.contains("bzip2") ?? false)
    }

    func testLayerDigestsInOnePass() throws {
        let tarEntries: [(TarHeader, [UInt8])] = [(TarHeader(path: "f", type: .regular), pattern(100_000))]
        let blob = try LayerBlobSink(blob: [UInt8]())
        var writer = TarWriter(blob)
        for (header, content) in tarEntries { try writer.append(header, content: content) }
        try writer.finish()
        let digests = try blob.finish()
        try writeFile(temp.sub("layer.tar.gz"), blob.blob)
        let tar = try makeTar(tarEntries)
        try writeFile(temp.sub("layer.tar"), tar)
        let blobSum = try sh("sha256sum layer.tar.gz | cut -d' ' -f1", cwd: temp.path).trimmingCharacters(in: .whitespacesAndNewlines)
        let tarSum = try sh("sha256sum layer.tar | cut -d' ' -f1", cwd: temp.path).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(digests.blobDigest.description, "sha256:" + blobSum)
        XCTAssertEqual(digests.diffID.description, "sha256:" + tarSum)
        XCTAssertEqual(digests.descriptor(mediaType: .ociLayerGzip).size, Int64(blob.blob.count))
        XCTAssertEqual(digests.blobSize, Int64(blob.blob.count))
        XCTAssertEqual(digests.uncompressedSize, Int64(tar.count))
        XCTAssertEqual(try sh("gzip -dc layer.tar.gz | sha256sum | cut -d' ' -f1", cwd: temp.path)
            .trimmingCharacters(in: .whitespacesAndNewlines), tarSum)

        let plain = try LayerBlobSink(blob: [UInt8](), compression: .none)
        var plainWriter = TarWriter(plain)
        for (header, content) in tarEntries { try plainWriter.append(header, content: content) }
        try plainWriter.finish()
        let plainDigests = try plain.finish()
        XCTAssertEqual(plainDigests.blobDigest, plainDigests.diffID)
        XCTAssertEqual(plainDigests.diffID, digests.diffID)
    }
}
