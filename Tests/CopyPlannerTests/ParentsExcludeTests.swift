@testable import CopyPlanner
import Foundation
import LayerArchive
import XCTest

/// --parents and --exclude details that BuildKit leaves to tonistiigi/fsutil's copy
/// (copy/copy.go: `copier.copy`, `copyDirectory`, `createParentDirs`): include and exclude
/// patterns are moby/patternmatcher patterns matched relative to the copied directory with the
/// parents' results handed down; a directory that is not let through itself is only created when
/// something below it is copied, and then with its source metadata.
final class ParentsExcludeTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("copyplanner-parents-\(UUID().uuidString)").path
        for dir in ["/ctx/a/x/y", "/ctx/a/skip", "/ctx/logs/old", "/scratch"] {
            try FileManager.default.createDirectory(atPath: root + dir, withIntermediateDirectories: true)
        }
        for file in ["a/z", "a/x/y/z", "a/x/other", "a/skip/z.txt", "logs/old/a.log", "logs/keep.log", "logs/b.log"] {
            try Data(file.utf8).write(to: URL(fileURLWithPath: root + "/ctx/" + file))
        }
        XCTAssertEqual(chmod(root + "/ctx/a/x", 0o700), 0)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: root)
    }

    private func plan(_ request: CopyRequest) throws -> [String: TarHeader] {
        let tree = CopySourceTree(root: root + "/ctx", isContext: true)
        let entries = try CopyPlanner.plan(request, from: tree, destinationRoot: nil, scratch: root + "/scratch").entries
        return Dictionary(uniqueKeysWithValues: entries.map { ($0.header.path, $0.header) })
    }

    // dockerfile_parents_test.go (doublewildcard) uses `**`; patternmatcher's `**` spans any
    // number of directories, zero included.
    func testDoubleStarSpansSeveralDirectories() throws {
        let headers = try plan(CopyRequest(sources: ["./a/**/z"], destination: "/out/", parents: true))
        XCTAssertEqual(Set(headers.keys), ["out/", "out/a/", "out/a/z", "out/a/x/", "out/a/x/y/", "out/a/x/y/z"])
    }

    // fsutil createParentDirs: the directories leading to an included file are made with the
    // source directory's metadata (a/x is 0700 in the source).
    func testParentDirectoriesKeepTheirSourceMetadata() throws {
        let headers = try plan(CopyRequest(sources: ["a/x/y/z"], destination: "/out/", parents: true))
        XCTAssertEqual(headers["out/a/x/"]?.mode, 0o700)
        XCTAssertEqual(headers["out/a/x/y/"]?.mode, 0o755)
        XCTAssertEqual(headers["out/a/x/y/z"]?.mode, 0o644)
        XCTAssertNil(headers["out/a/x/other"])
    }

    // A wildcard that matches nothing copies nothing, without an error (BuildKit copies `/` with
    // the operand as include pattern); the destination directory is still made. A plain path that
    // does not exist fails as plain COPY does (issue 21).
    func testParentsPatternMatchingNothingCopiesNothing() throws {
        XCTAssertEqual(Set(try plan(CopyRequest(sources: ["nothing/*"], destination: "/out/", parents: true)).keys), ["out/"])
        XCTAssertThrowsError(try plan(CopyRequest(sources: ["nothing/here"], destination: "/out/", parents: true)))
    }

    // `!` re-includes below an excluded directory; an excluded directory whose content stays
    // excluded is not created (fsutil only makes it for included content).
    func testExclusionPatternsReincludeAndEmptyExcludedDirectoriesVanish() throws {
        let headers = try plan(CopyRequest(sources: ["logs"], destination: "/l/", excludePatterns: ["*.log", "old", "!keep.log"]))
        XCTAssertEqual(Set(headers.keys), ["l/", "l/keep.log"])
        let nested = try plan(CopyRequest(sources: ["a"], destination: "/n/", excludePatterns: ["x", "!x/y/z"]))
        XCTAssertEqual(Set(nested.keys), ["n/", "n/z", "n/skip/", "n/skip/z.txt", "n/x/", "n/x/y/", "n/x/y/z"])
        XCTAssertEqual(nested["n/x/"]?.mode, 0o700)  // made for x/y/z, with x's own metadata
    }

    // --parents with --exclude: the exclude patterns are relative to the directory copied from
    // (the part before `/./`, or the root).
    func testParentsWithExclude() throws {
        let headers = try plan(CopyRequest(sources: ["a/./x", "a/./skip"], destination: "/out/",
                                           excludePatterns: ["skip/*.txt", "x/other"], parents: true))
        XCTAssertEqual(Set(headers.keys), ["out/", "out/x/", "out/x/y/", "out/x/y/z", "out/skip/"])
    }
}
