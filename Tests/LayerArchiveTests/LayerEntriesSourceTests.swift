import Foundation
import XCTest
@testable import LayerArchive

/// LayerEntriesSource: the tar stream remade from a layer's entries is, byte for byte, the blob
/// LayerDiff writes (any read sizes, with or without a clamp), skipping content opens no file,
/// and an applier fed from it makes the tree the blob makes.
final class LayerEntriesSourceTests: XCTestCase {
    var temp: TempDir!

    override func setUpWithError() throws { temp = try TempDir() }
    override func tearDown() { temp.cleanup() }

    private func makeTree() throws -> String {
        let long = String(repeating: "n", count: 120)
        try sh("mkdir -p src/d/\(long) src/e && printf one > src/d/one && ln src/d/one src/e/two && ln -s ../d/one src/e/sym "
             + "&& : > src/empty && head -c 511 /dev/urandom > src/a511 && head -c 512 /dev/urandom > src/a512 "
             + "&& head -c 513 /dev/urandom > src/a513 && head -c 3000000 /dev/urandom > src/big "
             + "&& printf deep > src/d/\(long)/f && touch -d @1700000000.5 src/big src/d",
               cwd: temp.path)
        return temp.sub("src")
    }

    private func blob(_ entries: [LayerEntry], clamp: Int64?) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var writer = TarWriter(ClosureSink { bytes.append(contentsOf: $0) })
        try LayerDiff.write(entries, to: &writer, clampingTimesTo: clamp)
        try writer.finish()
        return bytes
    }

    func testStreamIsTheBlobForAnyReadSize() throws {
        let entries = try LayerDiff.entries(fromDirectory: try makeTree())
        for clamp in [nil, Int64(1_000)] {
            let expected = try blob(entries, clamp: clamp)
            for size in [100, 512, 4097, 1 << 20] {
                var source = LayerEntriesSource(entries, clampingTimesTo: clamp)
                var got: [UInt8] = []
                while true {
                    let chunk = try source.read(upTo: size)
                    if chunk.isEmpty { break }
                    XCTAssertLessThanOrEqual(chunk.count, size)
                    got += chunk
                }
                XCTAssertEqual(got.count, expected.count, "read size \(size), clamp \(String(describing: clamp))")
                XCTAssertTrue(got == expected, "bytes differ with read size \(size), clamp \(String(describing: clamp))")
                XCTAssertEqual(try source.read(upTo: size), [], "the end stays the end")
            }
        }
    }

    /// Skips land where the blob's bytes are; a skipped file is never opened (here: removed first).
    func testSkippingMatchesTheBlobAndOpensNothing() throws {
        let entries = try LayerDiff.entries(fromDirectory: try makeTree())
        let expected = try blob(entries, clamp: nil)
        var source = LayerEntriesSource(entries)
        var at = 0
        var got: [UInt8] = []
        // Read 700 bytes, skip 3001, repeatedly: the bytes read are the blob's at those offsets.
        while true {
            let chunk = try source.read(upTo: 700)
            if chunk.isEmpty { break }
            XCTAssertTrue(Array(expected[at..<at + chunk.count]) == chunk, "bytes at \(at)")
            at += chunk.count
            got += chunk
            let skipped = try XCTUnwrap(try source.skipAhead(3001))
            at += Int(skipped)
            if skipped < 3001 { break }
        }
        XCTAssertEqual(at, expected.count)

        // The whole of big's content skipped: the file is not needed.
        var lazy = LayerEntriesSource(entries)
        try FileManager.default.removeItem(atPath: temp.sub("src/big"))
        var reader = TarReader(lazy)
        var names: [String] = []
        while let header = try reader.next() { names.append(header.path) }
        XCTAssertTrue(names.contains("big"))
        lazy = LayerEntriesSource(entries)
        XCTAssertThrowsError(try { while try !lazy.read(upTo: 1 << 20).isEmpty {} }(), "reading a removed file's content fails")
    }

    func testApplyingTheStreamMakesTheBlobsTree() throws {
        let entries = try LayerDiff.entries(fromDirectory: try makeTree())
        let fromBlob = temp.sub("from-blob"), fromEntries = temp.sub("from-entries")
        try FileManager.default.createDirectory(atPath: fromBlob, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: fromEntries, withIntermediateDirectories: true)
        try LayerApplier(target: fromBlob).apply(blob: InMemorySource(try blob(entries, clamp: 5)))
        try LayerApplier(target: fromEntries).apply(blob: LayerEntriesSource(entries, clampingTimesTo: 5))
        let listing = "find . -mindepth 1 -printf '%p %y %m %U %G %s %T@ %l %n\\n' | sort"
        XCTAssertEqual(try sh(listing, cwd: fromEntries), try sh(listing, cwd: fromBlob))
        XCTAssertEqual(try sh("cat big | sha256sum", cwd: fromEntries), try sh("cat big | sha256sum", cwd: fromBlob))
    }
}
