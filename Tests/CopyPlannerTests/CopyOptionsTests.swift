@testable import CopyPlanner
import Foundation
import LayerArchive
import XCTest

/// ADD compressions, --chmod, --chown, --exclude, --parents and hardlinks on small trees.
/// Expectations: Dockerfile reference (docs.docker.com, ADD/COPY: archives detected by
/// content in gzip/bzip2/xz/zstd, --chmod applies to copied files and directories,
/// --parents keeps the source's parent directories below `/./`), fsutil's copy (hardlinks
/// inside the copied set stay hardlinks).
final class CopyOptionsTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("copyplanner-opts-\(UUID().uuidString)").path
        for dir in ["/ctx/src/deep", "/scratch", "/payload/top"] {
            try FileManager.default.createDirectory(atPath: root + dir, withIntermediateDirectories: true)
        }
        try Data("one".utf8).write(to: URL(fileURLWithPath: root + "/ctx/src/one.txt"))
        try Data("log".utf8).write(to: URL(fileURLWithPath: root + "/ctx/src/deep/x.log"))
        XCTAssertEqual(link(root + "/ctx/src/one.txt", root + "/ctx/src/deep/same.txt"), 0)
        try Data("inside".utf8).write(to: URL(fileURLWithPath: root + "/payload/top/f"))
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: root)
    }

    private func plan(_ request: CopyRequest) throws -> [TarHeader] {
        let tree = CopySourceTree(root: root + "/ctx", isContext: true)
        return try CopyPlanner.plan(request, from: tree, destinationRoot: nil, scratch: root + "/scratch").entries.map(\.header)
    }

    func testAddExtractsEveryCompression() throws {
        try Shell.run("/bin/tar", ["-cf", root + "/ctx/a.tar", "-C", root + "/payload", "top"])
        for (tool, name) in [("gzip", "a.tar.gz"), ("bzip2", "a.tar.bz2"), ("xz", "a.tar.xz"), ("zstd", "a.tar.zst")] {
            guard FileManager.default.fileExists(atPath: "/usr/bin/" + tool) else { continue }
            try Shell.run("/bin/sh", ["-c", "\(tool) -c < a.tar > \(name)"], cwd: root + "/ctx")
            let headers = try plan(CopyRequest(sources: [name], destination: "/x", isAdd: true))
            XCTAssertEqual(headers.map(\.path), ["x/", "x/top/", "x/top/f"], tool)
        }
        // COPY never extracts; a non-archive ADD is a plain copy.
        XCTAssertEqual(try plan(CopyRequest(sources: ["a.tar"], destination: "/x")).map(\.path), ["x"])
        XCTAssertEqual(try plan(CopyRequest(sources: ["src/one.txt"], destination: "/y", isAdd: true)).map(\.path), ["y"])
    }

    func testChmodAndChown() throws {
        let headers = try plan(CopyRequest(sources: ["src"], destination: "/d/", owner: (7, 8), mode: 0o700))
        let byPath = Dictionary(uniqueKeysWithValues: headers.map { ($0.path, $0) })
        // Created destination: MkdirAll with the copy's mode (current fsutil copy.Copy; BuildKit
        // testCopyChmod, moby/buildkit 75c457af), chown owner.
        XCTAssertEqual(byPath["d/"]?.mode, 0o700)
        XCTAssertEqual(byPath["d/"]?.uid, 7)
        XCTAssertEqual(byPath["d/deep/"]?.mode, 0o700)
        XCTAssertEqual(byPath["d/one.txt"]?.mode, 0o700)
        XCTAssertEqual(byPath["d/one.txt"]?.gid, 8)
    }

    func testHardlinksInsideTheCopiedSetStayHardlinks() throws {
        let headers = try plan(CopyRequest(sources: ["src"], destination: "/d/"))
        let same = headers.first { $0.path == "d/one.txt" }
        XCTAssertEqual(same?.type, .hardlink)
        XCTAssertEqual(same?.linkName, "d/deep/same.txt")
    }

    func testExclude() throws {
        let headers = try plan(CopyRequest(sources: ["src"], destination: "/d/", excludePatterns: ["**/*.log"]))
        XCTAssertFalse(headers.contains { $0.path.hasSuffix(".log") })
        XCTAssertTrue(headers.contains { $0.path == "d/deep/" })
    }

    func testParents() throws {
        let headers = try plan(CopyRequest(sources: ["src/deep/x.log"], destination: "/p/", parents: true))
        XCTAssertEqual(headers.map(\.path), ["p/", "p/src/", "p/src/deep/", "p/src/deep/x.log"])
        let pivot = try plan(CopyRequest(sources: ["src/./deep/x.log"], destination: "/p/", parents: true))
        XCTAssertEqual(pivot.map(\.path), ["p/", "p/deep/", "p/deep/x.log"])
    }
}
