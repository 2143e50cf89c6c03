import Foundation
import ImageSpec
import XCTest
@testable import LayerArchive

/// ConcurrentHashSink: the digest and count are those of one pass over the bytes, in any chunking
/// and ring size; the inner sink gets every byte in order; an inner write failure is thrown once
/// and leaves no worker behind (the error may surface at a later write or at finish); finish is once only; a layer written with it is byte-for-byte and
/// digest-for-digest the one written on one thread.
final class ConcurrentHashSinkTests: XCTestCase {
    private func pattern(_ count: Int, seed: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761 &+ seed) >> 7) }
    }

    private func expected(_ bytes: [UInt8]) -> Digest {
        var digester = Digester(algorithm: .sha256)
        bytes.withUnsafeBytes { digester.update(bufferPointer: $0) }
        return digester.finalize()
    }

    func testDigestAndBytesMatchOnePassForAnyChunking() throws {
        let content = pattern(3 * 65536 + 1234, seed: 5)
        for (slots, slotSize) in [(2, 4096), (3, 65536), (4, 1 << 20)] {
            for chunk in [1, 511, 4096, 70000, content.count] {
                let sink = ConcurrentHashSink([UInt8](), slots: slots, slotSize: slotSize)
                var offset = 0
                while offset < content.count {
                    let n = min(chunk, content.count - offset)
                    try content.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[offset..<offset + n])) }
                    offset += n
                }
                let (digest, count) = try sink.finish()
                XCTAssertEqual(digest, expected(content), "slots \(slots) × \(slotSize), chunks of \(chunk)")
                XCTAssertEqual(count, Int64(content.count))
                XCTAssertEqual(sink.inner, content, "slots \(slots) × \(slotSize), chunks of \(chunk)")
            }
        }
    }

    func testEmptyInputHasTheEmptyDigest() throws {
        let sink = ConcurrentHashSink([UInt8]())
        let (digest, count) = try sink.finish()
        XCTAssertEqual(digest.hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(count, 0)
    }

    private struct FailingSink: ByteSink {
        var left: Int
        mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
            left -= bytes.count
            if left < 0 { throw LayerArchiveError(.io, "disk full (test)") }
        }
    }

    func testInnerFailureIsThrownOnceAndStopsTheWorkers() throws {
        let content = pattern(40_000, seed: 1)
        let sink = ConcurrentHashSink(FailingSink(left: 10_000), slots: 2, slotSize: 4096)
        var failures: [String] = []
        for start in stride(from: 0, to: content.count, by: 1000) {
            do {
                try content.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[start..<start + 1000])) }
            } catch {
                failures.append("\(error)")
            }
        }
        do { _ = try sink.finish() } catch { failures.append("\(error)") }
        // The write worker's failure surfaces at a later write or at finish, exactly once.
        XCTAssertEqual(failures.filter { $0.contains("disk full") }.count, 1, "\(failures)")
        XCTAssertTrue(failures.drop { !$0.contains("disk full") }.dropFirst().allSatisfy { $0.contains("finished or abandoned") }, "\(failures)")
        XCTAssertEqual(failures.last?.contains("disk full") == true || failures.last?.contains("finished or abandoned") == true, true)
    }

    func testAbandonedAndDroppedSinksLeaveNoWorkerWaiting() throws {
        // A slot taken and never handed over, then dropped: deinit stops the worker (a hang or a
        // libdispatch trap here is the failure).
        for _ in 0..<50 {
            let sink = ConcurrentHashSink([UInt8](), slots: 2, slotSize: 4096)
            try sink.write([1, 2, 3])
            if Bool.random() { sink.abandon() }
        }
    }

    func testFinishIsOnceOnly() throws {
        let sink = ConcurrentHashSink([UInt8]())
        try sink.write([7])
        _ = try sink.finish()
        XCTAssertThrowsError(try sink.finish())
        XCTAssertThrowsError(try sink.write([8]))
    }

    func testLayerWrittenConcurrentlyIsTheOneWrittenOnOneThread() throws {
        let temp = try TempDir()
        defer { temp.cleanup() }
        let root = temp.sub("tree")
        try FileManager.default.createDirectory(atPath: root + "/d", withIntermediateDirectories: true)
        try Data(pattern(3_000_000, seed: 9)).write(to: URL(fileURLWithPath: root + "/d/big"))
        try Data(count: 2_000_000).write(to: URL(fileURLWithPath: root + "/zeros"))
        try Data("small".utf8).write(to: URL(fileURLWithPath: root + "/s"))
        let entries = try LayerDiff.entries(fromDirectory: root)
        let (one, oneBlob) = try LayerDiff.writeLayer(entries, to: [UInt8](), compression: .none)
        let (two, twoBlob) = try LayerDiff.writeLayer(entries, to: [UInt8](), compression: .none, hashConcurrently: true)
        XCTAssertEqual(one, two)
        XCTAssertEqual(oneBlob, twoBlob)
        XCTAssertEqual(two.diffID, expected(twoBlob))
        XCTAssertEqual(two.blobSize, Int64(twoBlob.count))
    }
}
