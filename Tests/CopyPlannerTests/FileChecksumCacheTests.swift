import Foundation
import ImageSpec
import XCTest
@testable import CopyPlanner

/// The persistent per-file checksum cache (issue 4: an unchanged context is not re-read).
final class FileChecksumCacheTests: XCTestCase {
    func testUnchangedFilesAreNotReadAgainAndChangedOnesAre() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-checksums-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("a.txt").path
        try Data("one".utf8).write(to: URL(fileURLWithPath: file))
        let store = dir.appendingPathComponent("checksums.json")
        var reads = 0
        let compute: (String) throws -> Digest = { path in
            reads += 1
            return Digest.sha256(of: try Data(contentsOf: URL(fileURLWithPath: path)))
        }

        let first = FileChecksumCache(file: store)
        let d1 = try first.digest(of: file, compute: compute)
        XCTAssertEqual(d1, Digest.sha256(of: Data("one".utf8)))
        first.save()
        XCTAssertEqual(reads, 1)

        // A new build (a new process would load the same file): no read for an unchanged file.
        let second = FileChecksumCache(file: store)
        XCTAssertEqual(try second.digest(of: file, compute: compute), d1)
        XCTAssertEqual(reads, 1, "an unchanged file is not read again")

        // Same size, same mtime forced back: ctime still changes, so the edit is seen.
        var st = stat()
        XCTAssertEqual(stat(file, &st), 0)
        try Data("two".utf8).write(to: URL(fileURLWithPath: file))
        var times = [st.st_atim, st.st_mtim]
        XCTAssertEqual(utimensat(AT_FDCWD, file, &times, 0), 0)
        XCTAssertEqual(try second.digest(of: file, compute: compute), Digest.sha256(of: Data("two".utf8)))
        XCTAssertEqual(reads, 2, "a changed file is read again even with its old size and mtime")
    }
}
