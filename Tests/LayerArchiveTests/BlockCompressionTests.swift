import Foundation
import LayerArchive
import XCTest

/// The compressors of layers leaving the machine: libdeflate gzip members in parallel and libzstd
/// with worker threads. Their output must not depend on the number of workers (reproducible
/// pushes) and must read back with standard tools.
final class BlockCompressionTests: XCTestCase {
    /// Compressible but not trivial: text with a counter, a little over three 1 MiB blocks.
    private let input: [UInt8] = {
        var text = ""
        var i = 0
        while text.utf8.count < 3 * (1 << 20) + 12345 {
            text += "line \(i) of a layer, \(i % 97) \(i * 7919 % 1000)\n"
            i += 1
        }
        return Array(text.utf8)
    }()

    /// Writes `input` in uneven pieces, as a tar writer does.
    private func feed<Sink: ByteSink & AnyObject>(_ sink: Sink) throws {
        var offset = 0, piece = 1
        while offset < input.count {
            let end = min(input.count, offset + piece)
            try input[offset..<end].withUnsafeBytes { var target = sink; try target.write($0) }
            offset = end
            piece = piece * 3 % 300_001 + 1
        }
    }

    private func gzip(workers: Int, level: Int32 = -1) throws -> [UInt8] {
        let compressor = try BlockGzipCompressor(sink: [UInt8](), level: level, workers: workers)
        try feed(compressor)
        try compressor.finish()
        return compressor.sink
    }

    private func zstd(workers: Int, level: Int32 = -1) throws -> [UInt8] {
        let compressor = try ZstdCompressor(sink: [UInt8](), level: level, workers: workers)
        try feed(compressor)
        try compressor.finish()
        return compressor.sink
    }

    private func decompress(_ bytes: [UInt8]) throws -> (Compression, [UInt8]) {
        let (kind, source) = try CompressionSniffer.decompressing(InMemorySource(bytes))
        var any = AnyByteSource(source)
        var out: [UInt8] = []
        while true {
            let chunk = try any.read(upTo: 100_000)
            if chunk.isEmpty { break }
            out += chunk
        }
        return (kind, out)
    }

    /// Runs `tool` on `bytes` (stdin) and returns its stdout.
    private func run(_ tool: String, _ arguments: [String], input bytes: [UInt8]) throws -> [UInt8] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-compress-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let inFile = dir.appendingPathComponent("in"), outFile = dir.appendingPathComponent("out")
        try Data(bytes).write(to: inFile)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        process.standardInput = try FileHandle(forReadingFrom: inFile)
        FileManager.default.createFile(atPath: outFile.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: outFile)
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "\(tool) \(arguments)")
        return Array(try Data(contentsOf: outFile))
    }

    func testParallelGzipIsTheSameForAnyWorkerCountAndReadsBack() throws {
        let one = try gzip(workers: 1)
        XCTAssertEqual(try gzip(workers: 3), one)
        XCTAssertEqual(try gzip(workers: 8), one)
        XCTAssertLessThan(one.count, input.count / 3)
        let (kind, plain) = try decompress(one)
        XCTAssertEqual(kind, .gzip)
        XCTAssertEqual(plain, input)
        XCTAssertEqual(try run("gzip", ["-dc"], input: one), input)
        // Another level gives other bytes, still the same input.
        let fast = try gzip(workers: 2, level: 1)
        XCTAssertNotEqual(fast, one)
        XCTAssertEqual(try decompress(fast).1, input)
    }

    func testEmptyInputIsOneValidGzipMember() throws {
        let compressor = try BlockGzipCompressor(sink: [UInt8](), workers: 2)
        try compressor.finish()
        XCTAssertEqual(Array(compressor.sink.prefix(2)), [0x1f, 0x8b])
        XCTAssertEqual(try decompress(compressor.sink).1, [])
        XCTAssertEqual(try run("gzip", ["-dc"], input: compressor.sink), [])
    }

    func testZstdIsTheSameForAnyWorkerCountAndReadsBack() throws {
        let one = try zstd(workers: 1)
        XCTAssertEqual(try zstd(workers: 4), one)
        XCTAssertLessThan(one.count, input.count / 3)
        let (kind, plain) = try decompress(one)
        XCTAssertEqual(kind, .zstd)
        XCTAssertEqual(plain, input)
        XCTAssertEqual(try run("zstd", ["-dc"], input: one), input)
        // What the zstd tool writes reads back too.
        let fromTool = try run("zstd", ["-c", "-q"], input: input)
        XCTAssertEqual(try decompress(fromTool).1, input)
    }

    func testTruncatedZstdIsAnError() throws {
        let whole = try zstd(workers: 2)
        XCTAssertThrowsError(try decompress(Array(whole.prefix(whole.count / 2))))
    }

    func testLevelsAreChecked() {
        XCTAssertThrowsError(try BlockGzipCompressor(sink: [UInt8](), level: 13))
        XCTAssertThrowsError(try ZstdCompressor(sink: [UInt8](), level: 23))
        XCTAssertThrowsError(try ZstdCompressor(sink: [UInt8](), level: 0))
    }
}
