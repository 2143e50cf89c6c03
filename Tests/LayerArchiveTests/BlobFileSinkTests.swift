import CFileIO
import Foundation
import XCTest
@testable import LayerArchive

/// BlobFileSink: the file holds exactly the bytes written, in any chunking; whole zero blocks
/// become holes; a partial or non-zero block is always written; a non-empty file is refused.
final class BlobFileSinkTests: XCTestCase {
    var temp: TempDir!
    /// Whether a sink asked for O_DIRECT got it (the temp directory's filesystem allows it).
    var directUsed = false

    override func setUpWithError() throws { temp = try TempDir() }
    override func tearDown() { temp.cleanup() }

    /// Writes `content` in chunks of the given sizes (cycled) and returns the file's bytes and
    /// the sink's count of hole blocks.
    private func write(_ content: [UInt8], chunks: [Int], name: String = "blob",
                       direct: Bool = false) throws -> (bytes: [UInt8], holes: Int64, allocated: Int64) {
        let path = temp.sub(name)
        let file = try FileDescriptor.create(writing: path)
        let sink = try BlobFileSink(fd: file.fd, blockSize: 4096, maxRun: 16384, writebackChunk: 8192, direct: direct)
        if direct { directUsed = directUsed || sink.direct }
        var offset = 0, i = 0
        while offset < content.count {
            let n = min(chunks[i % chunks.count], content.count - offset)
            try content.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[offset..<offset + n])) }
            offset += n
            i += 1
        }
        try sink.finish()
        XCTAssertEqual(sink.count, Int64(content.count))
        var info = stat()
        XCTAssertEqual(fstat(file.fd, &info), 0)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        return (bytes, sink.holeBlocks, Int64(info.st_blocks) * 512)
    }

    private func pattern(_ count: Int, seed: UInt8) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) | 1 }
    }

    func testContentIsExactForAnyChunking() throws {
        // Data, a zero run that covers whole blocks only from an unaligned start, data, zero tail.
        let content = pattern(5000, seed: 3) + [UInt8](repeating: 0, count: 3 * 4096 + 700) + pattern(513, seed: 9)
            + [UInt8](repeating: 0, count: 9000)
        for chunks in [[1], [512], [4096], [100_000], [511, 4097, 3], [8192, 1]] {
            let result = try write(content, chunks: chunks, name: "blob-\(chunks.map(String.init).joined(separator: "-"))")
            XCTAssertEqual(result.bytes.count, content.count, "size with chunks \(chunks)")
            XCTAssertTrue(result.bytes == content, "content differs with chunks \(chunks)")
            // Blocks 2–3 (8192..<16384) are all zeros, as is block 5 (20480..<24576) and the
            // whole blocks of the zero tail; blocks holding any data byte are written.
            XCTAssertGreaterThanOrEqual(result.holes, 3, "zero blocks skipped with chunks \(chunks)")
        }
    }

    /// With O_DIRECT (where the filesystem has it): the same bytes and holes for any chunking —
    /// aligned runs straight from memory, unaligned ones through the bounce buffer, the last
    /// partial block padded and cut off again.
    func testDirectWritesGiveTheSameBlob() throws {
        let content = pattern(5000, seed: 5) + [UInt8](repeating: 0, count: 3 * 4096 + 700) + pattern(70_000, seed: 7)
            + [UInt8](repeating: 0, count: 9000) + pattern(3, seed: 1)
        for chunks in [[1], [4096], [100_000], [511, 4097, 3], [16384, 1]] {
            let result = try write(content, chunks: chunks, name: "direct-\(chunks.map(String.init).joined(separator: "-"))", direct: true)
            XCTAssertEqual(result.bytes.count, content.count, "size with chunks \(chunks)")
            XCTAssertTrue(result.bytes == content, "content differs with chunks \(chunks)")
            XCTAssertGreaterThanOrEqual(result.holes, 3, "zero blocks skipped with chunks \(chunks)")
        }
        let probe = open(temp.sub("probe"), O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        defer { close(probe) }
        if kiln_set_direct(probe, 1) == 0 {
            XCTAssertTrue(directUsed, "O_DIRECT is available here but the sink wrote buffered")
        }
    }

    /// A copied range (copy_file_range) turns direct writes off for the rest; the blob is still exact.
    func testDirectSinkCopiesARangeBuffered() throws {
        let earlier = pattern(3 * 4096 + 100, seed: 2)
        let source = temp.sub("earlier")
        try Data(earlier).write(to: URL(fileURLWithPath: source))
        let input = try FileDescriptor.open(reading: source)
        let path = temp.sub("copied")
        let file = try FileDescriptor.create(writing: path)
        let sink = try BlobFileSink(fd: file.fd, direct: true)
        let head = pattern(8192, seed: 4)
        try head.withUnsafeBytes { try sink.write($0) }
        try sink.copyRange(from: input.fd, offset: 10, length: Int64(earlier.count - 10))
        XCTAssertFalse(sink.direct)
        let tail = pattern(77, seed: 6)
        try tail.withUnsafeBytes { try sink.write($0) }
        try sink.finish()
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertTrue(bytes == head + Array(earlier[10...]) + tail)
    }

    func testZeroLayerIsAHoleAndNonZeroBlocksAreWritten() throws {
        let zeros = try write([UInt8](repeating: 0, count: 64 * 4096), chunks: [65536], name: "zeros")
        XCTAssertEqual(zeros.bytes.count, 64 * 4096)
        XCTAssertTrue(zeros.bytes.allSatisfy { $0 == 0 })
        XCTAssertEqual(zeros.holes, 64)
        XCTAssertEqual(zeros.allocated, 0, "a zero-filled blob should allocate no blocks")

        // One non-zero byte at the end of each block: no block may be skipped.
        var dense = [UInt8](repeating: 0, count: 16 * 4096)
        for block in 0..<16 { dense[block * 4096 + 4095] = 7 }
        let written = try write(dense, chunks: [3000], name: "dense")
        XCTAssertTrue(written.bytes == dense)
        XCTAssertEqual(written.holes, 0)
    }

    func testEmptyBlobAndNonEmptyFileRefused() throws {
        let empty = try write([], chunks: [1], name: "empty")
        XCTAssertEqual(empty.bytes.count, 0)

        let path = temp.sub("used")
        try Data("x".utf8).write(to: URL(fileURLWithPath: path))
        let file = try FileDescriptor.create(writing: path + "-2")
        XCTAssertNoThrow(try BlobFileSink(fd: file.fd))
        let used = Glibc.open(path, O_WRONLY | O_CLOEXEC)
        defer { close(used) }
        XCTAssertThrowsError(try BlobFileSink(fd: used)) { error in
            XCTAssertTrue("\(error)".contains("empty regular file"), "\(error)")
        }
    }

    func testWriteAfterFinishThrows() throws {
        let file = try FileDescriptor.create(writing: temp.sub("done"))
        let sink = try BlobFileSink(fd: file.fd)
        try sink.write([1, 2, 3])
        try sink.finish()
        XCTAssertThrowsError(try sink.write([4]))
    }

    /// A layer written through the sink is the same tar, with the same digests, as one written to memory.
    func testLayerThroughSinkMatchesInMemoryLayer() throws {
        let source = temp.sub("src")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try Data(pattern(10_000, seed: 5)).write(to: URL(fileURLWithPath: source + "/a"))
        try Data([UInt8](repeating: 0, count: 300_000)).write(to: URL(fileURLWithPath: source + "/zeros"))
        try Data(pattern(4096 * 3 + 1, seed: 1)).write(to: URL(fileURLWithPath: source + "/b"))
        let entries = try LayerDiff.entries(fromDirectory: source)
        let (memory, bytes) = try LayerDiff.writeLayer(entries, to: [UInt8](), compression: .none)
        let file = try FileDescriptor.create(writing: temp.sub("layer.tar"))
        let sink = try BlobFileSink(fd: file.fd)
        let (onDisk, _) = try LayerDiff.writeLayer(entries, to: sink, compression: .none)
        try sink.finish()
        XCTAssertEqual(onDisk, memory)
        let stored = try [UInt8](Data(contentsOf: URL(fileURLWithPath: temp.sub("layer.tar"))))
        XCTAssertTrue(stored == bytes, "the stored tar differs from the in-memory one")
        XCTAssertGreaterThan(sink.holeBlocks, 60, "the zero file's blocks should be holes")
    }
}
