import Foundation
import ImageSpec
import XCTest
@testable import LayerArchive

/// What a resumed layer write relies on: ResumableSHA256 gives swift-crypto's digest, and a state
/// saved at any 64-byte boundary and restored gives it too; BlobFileSink.copyPrefix plus the rest
/// written gives exactly the bytes of one whole write, at any prefix length, and so do ranges
/// copied between writes at any offsets (BlobFileSink.copyRange); TarWriter.headerBytes
/// is exactly what writeHeader writes.
final class ResumableBlobTests: XCTestCase {
    var temp: TempDir!

    override func setUpWithError() throws { temp = try TempDir() }
    override func tearDown() { temp.cleanup() }

    private func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
    }

    private func reference(_ data: [UInt8]) -> Digest {
        var digester = Digester()
        data.withUnsafeBytes { digester.update(bufferPointer: $0) }
        return digester.finalize()
    }

    func testDigestsMatchSwiftCryptoInAnyChunking() {
        for count in [0, 1, 55, 56, 63, 64, 65, 511, 512, 4097, 1_000_003] {
            let data = bytes(count, seed: UInt64(count))
            let hasher = ResumableSHA256()
            var at = 0, step = 1
            while at < count {
                let n = min(step, count - at)
                data.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[at..<at + n])) }
                at += n
                step = step * 3 + 1
            }
            XCTAssertEqual(hasher.digest, reference(data), "\(count) bytes")
            XCTAssertEqual(hasher.digest, reference(data), "digest must not consume the state")
        }
    }

    func testSavedStatesResumeToTheSameDigest() throws {
        let data = bytes(300_000, seed: 7)
        let expected = reference(data)
        for cut in [0, 64, 512, 4096, 65536 + 512, 299_968] {
            let first = ResumableSHA256()
            data.withUnsafeBytes { first.update(UnsafeRawBufferPointer(rebasing: $0[0..<cut])) }
            let state = try XCTUnwrap(first.state, "no state at \(cut)")
            XCTAssertEqual(state.byteCount, Int64(cut))
            let resumed = try ResumableSHA256(resuming: state)
            data.withUnsafeBytes { resumed.update(UnsafeRawBufferPointer(rebasing: $0[cut...])) }
            XCTAssertEqual(resumed.digest, expected, "resumed at \(cut)")
        }
        let odd = ResumableSHA256()
        data.withUnsafeBytes { odd.update(UnsafeRawBufferPointer(rebasing: $0[0..<100])) }
        XCTAssertNil(odd.state, "a state inside a block cannot be saved")
        XCTAssertThrowsError(try ResumableSHA256(resuming: .init(words: Array(repeating: 0, count: 8), byteCount: 100)))
        XCTAssertThrowsError(try ResumableSHA256(resuming: .init(words: Array(repeating: 0, count: 8), byteCount: -64)))
    }

    func testCopiedPrefixPlusTheRestIsTheWholeBlob() throws {
        let data = bytes(3 * 4096 * 5 + 777, seed: 3)
        let source = temp.sub("earlier")
        try Data(data).write(to: URL(fileURLWithPath: source))
        let input = try FileDescriptor.open(reading: source)
        for prefix in [0, 512, 4096, 8192 + 512, 40_960, data.count - 1, data.count] {
            let path = temp.sub("blob-\(prefix)")
            let file = try FileDescriptor.create(writing: path)
            let sink = try BlobFileSink(fd: file.fd, blockSize: 4096, maxRun: 16384, writebackChunk: 8192)
            try sink.copyPrefix(from: input.fd, length: Int64(prefix))
            XCTAssertEqual(sink.size, Int64(prefix))
            try data.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[prefix...])) }
            try sink.finish()
            XCTAssertEqual(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))), data, "prefix \(prefix)")
            XCTAssertThrowsError(try sink.copyPrefix(from: input.fd, length: 0), "a prefix after the end")
        }
        let short = try FileDescriptor.create(writing: temp.sub("short"))
        let sink = try BlobFileSink(fd: short.fd)
        XCTAssertThrowsError(try sink.copyPrefix(from: input.fd, length: Int64(data.count + 4096))) { error in
            XCTAssertEqual((error as? LayerArchiveError)?.kind, .io)
        }
    }

    /// Writes and copies of ranges at any offsets, interleaved: the file holds exactly the bytes.
    func testCopiedRangesBetweenWritesAreExact() throws {
        let earlier = bytes(70_000, seed: 11)
        let source = temp.sub("earlier-ranges")
        try Data(earlier).write(to: URL(fileURLWithPath: source))
        let input = try FileDescriptor.open(reading: source)
        let path = temp.sub("spliced")
        let file = try FileDescriptor.create(writing: path)
        let sink = try BlobFileSink(fd: file.fd, blockSize: 4096, maxRun: 16384, writebackChunk: 8192)
        var expected: [UInt8] = []
        let fresh = bytes(20_000, seed: 12)
        for (i, (offset, length)) in [(0, 512), (100, 9000), (4096, 4096), (12_345, 30_000), (69_999, 1), (0, 0), (5, 40_000)].enumerated() {
            let extra = Array(fresh[(i * 1000)..<(i * 1000 + 333 * i)])
            try extra.withUnsafeBytes { try sink.write($0) }
            expected += extra
            try sink.copyRange(from: input.fd, offset: Int64(offset), length: Int64(length))
            expected += earlier[offset..<(offset + length)]
            XCTAssertEqual(sink.size, Int64(expected.count))
        }
        try sink.finish()
        XCTAssertEqual(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))), expected)
    }

    func testHeaderBytesAreWhatTheWriterWrites() throws {
        var headers: [TarHeader] = []
        var plain = TarHeader(path: "app/file.txt", type: .regular)
        plain.size = 3
        headers.append(plain)
        headers.append(TarHeader(path: "app/dir", type: .directory))
        var long = TarHeader(path: String(repeating: "é/", count: 90) + "x", type: .regular)
        long.xattrs = ["user.a": Array("b".utf8)]
        long.modificationTime = TarTime(seconds: 1_700_000_000, nanoseconds: 5)
        headers.append(long)
        var link = TarHeader(path: "app/link", type: .symlink)
        link.linkName = String(repeating: "t", count: 150)
        headers.append(link)
        for header in headers {
            var writer = TarWriter(DigestingSink(DiscardingSink()))
            try writer.writeHeader(header)
            let expectedCount = writer.sink.count
            let bytes = try TarWriter<DiscardingSink>.headerBytes(header)
            XCTAssertEqual(Int64(bytes.count), expectedCount, header.path)
            var digester = Digester()
            bytes.withUnsafeBytes { digester.update(bufferPointer: $0) }
            XCTAssertEqual(digester.finalize(), writer.sink.digest, header.path)
        }
        XCTAssertThrowsError(try TarWriter<DiscardingSink>.headerBytes(TarHeader(path: "", type: .regular)))
    }
}
