import LayerArchive
import XCTest

/// `SOURCE_DATE_EPOCH` support in the layer writer. Expectations: the SOURCE_DATE_EPOCH spec
/// (reproducible-builds.org: "clamp" = times later than the epoch become the epoch, earlier ones
/// stay) as BuildKit applies it to layer files (docs/build-repro.md, `rewrite-timestamp`).
final class ClampTimeTests: XCTestCase {
    private func writtenTimes(_ entries: [LayerEntry], clamp: Int64?) throws -> [String: TarTime] {
        let (_, blob) = try LayerDiff.writeLayer(entries, to: [UInt8](), compression: .none, clampingTimesTo: clamp)
        var reader = TarReader(InMemorySource(blob))
        var times: [String: TarTime] = [:]
        while let header = try reader.next() { times[header.path] = header.modificationTime }
        return times
    }

    func testTimesLaterThanTheEpochAreClampedWhileWriting() throws {
        let epoch: Int64 = 1_700_000_000
        let entries = [
            LayerEntry(header: TarHeader(path: "old/", type: .directory, mode: 0o755, modificationTime: TarTime(seconds: 1_000))),
            LayerEntry(header: TarHeader(path: "old/new", type: .regular, modificationTime: TarTime(seconds: epoch + 5, nanoseconds: 7))),
            LayerEntry(header: TarHeader(path: "same", type: .symlink, modificationTime: TarTime(seconds: epoch), linkName: "old")),
            LayerEntry(header: TarHeader(path: "frac", type: .fifo, modificationTime: TarTime(seconds: epoch, nanoseconds: 1))),
        ]
        let clamped = try writtenTimes(entries, clamp: epoch)
        XCTAssertEqual(clamped["old/"], TarTime(seconds: 1_000))  // older: kept
        XCTAssertEqual(clamped["old/new"], TarTime(seconds: epoch))
        XCTAssertEqual(clamped["same"], TarTime(seconds: epoch))
        XCTAssertEqual(clamped["frac"], TarTime(seconds: epoch))
        // Without an epoch, times are written as listed (behaviour unchanged).
        let plain = try writtenTimes(entries, clamp: nil)
        XCTAssertEqual(plain["old/new"], TarTime(seconds: epoch + 5, nanoseconds: 7))
        XCTAssertEqual(plain["frac"], TarTime(seconds: epoch, nanoseconds: 1))
    }

    /// A reproducible blob needs a gzip header without time or name (RFC 1952: MTIME 0 = none,
    /// FLG 0 = no FNAME), at every level.
    func testGzipHeadersCarryNoTimeOrName() throws {
        let entries = [LayerEntry(header: TarHeader(path: "d/", type: .directory, modificationTime: TarTime(seconds: 5)))]
        for compression in [LayerCompression.gzip, .gzip(level: 9)] {
            let (_, blob) = try LayerDiff.writeLayer(entries, to: [UInt8](), compression: compression)
            XCTAssertEqual(Array(blob.prefix(4)), [0x1f, 0x8b, 8, 0], "\(compression)")
            XCTAssertEqual(Array(blob[4..<8]), [0, 0, 0, 0], "\(compression)")
        }
    }
}
