@testable import CopyPlanner
import Foundation
import LayerArchive
import XCTest

/// Edge cases on small trees built here. Expectations: Go's `filepath.Match` documentation
/// (wildcards), BuildKit's messages (errors), fsutil's copy rules (destinations, symlinks).
final class CopyPlannerUnitTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("copyplanner-unit-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/ctx/dir/sub", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/dest/existing", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/scratch", withIntermediateDirectories: true)
        try Data("a".utf8).write(to: URL(fileURLWithPath: root + "/ctx/a.txt"))
        try Data("b".utf8).write(to: URL(fileURLWithPath: root + "/ctx/dir/sub/b.txt"))
        try FileManager.default.createSymbolicLink(atPath: root + "/ctx/link", withDestinationPath: "/dir/sub/b.txt")
        try FileManager.default.createSymbolicLink(atPath: root + "/ctx/dir/rel", withDestinationPath: "../a.txt")
        try FileManager.default.createSymbolicLink(atPath: root + "/dest/tolink", withDestinationPath: "/existing")
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: root)
    }

    private func plan(_ sources: [String], _ destination: String, workdir: String = "/", dest: Bool = true,
                      excluded: @escaping @Sendable (String) -> Bool = { _ in false }) throws -> [String] {
        let request = CopyRequest(sources: sources, destination: destination, workingDirectory: workdir)
        let tree = CopySourceTree(root: root + "/ctx", isContext: true, excluded: excluded)
        return try CopyPlanner.plan(request, from: tree, destinationRoot: dest ? root + "/dest" : nil, scratch: root + "/scratch")
            .entries.map { $0.header.path + ($0.header.type == .symlink ? " -> " + $0.header.linkName : "") }
    }

    /// With no `keepsExcludedDirectory` rule, an excluded directory stays visible exactly when
    /// something below it is not excluded (this used to recurse without end).
    func testExcludedDirectoryVisibleOnlyThroughIncludedDescendants() throws {
        let some = try plan(["."], "/out/", excluded: { $0 == "dir" || $0 == "dir/rel" || $0 == "link" })
        XCTAssertTrue(some.contains("out/dir/sub/b.txt"), "\(some)")
        XCTAssertFalse(some.contains { $0.hasPrefix("out/dir/rel") }, "\(some)")
        let none = try plan(["."], "/out/", excluded: { $0 == "dir" || $0.hasPrefix("dir/") })
        XCTAssertFalse(none.contains { $0.hasPrefix("out/dir") }, "\(none)")
    }

    func testGoMatch() {
        XCTAssertTrue(GoMatch.matches("*.txt", "a.txt"))
        XCTAssertFalse(GoMatch.matches("*.txt", "a/b.txt"))
        XCTAssertTrue(GoMatch.matches("file-?.txt", "file-a.txt"))
        XCTAssertTrue(GoMatch.matches("[a-c]x", "bx"))
        XCTAssertFalse(GoMatch.matches("[^a-c]x", "bx"))
        XCTAssertTrue(GoMatch.matches("\\*", "*"))
        XCTAssertFalse(GoMatch.matches("[]", "]"))  // malformed: ErrBadPattern
        XCTAssertTrue(GoMatch.matches("**", "abc"))
    }

    func testFileIntoNewDirectoryAndRename() throws {
        XCTAssertEqual(try plan(["a.txt"], "/new/"), ["new/", "new/a.txt"])
        XCTAssertEqual(try plan(["a.txt"], "/new"), ["new"])
        XCTAssertEqual(try plan(["a.txt"], "/existing"), ["existing/", "existing/a.txt"])
    }

    func testRelativeDestinationUsesWorkdir() throws {
        XCTAssertEqual(try plan(["a.txt"], "x", workdir: "/w", dest: false), ["w/", "w/x"])
        XCTAssertEqual(try plan(["a.txt"], ".", workdir: "/w", dest: false), ["w/", "w/a.txt"])
    }

    func testDirectoryCopiesContentsAndKeepsLinks() throws {
        XCTAssertEqual(try plan(["dir"], "/d", dest: false), ["d/", "d/rel -> ../a.txt", "d/sub/", "d/sub/b.txt"])
    }

    func testOperandSymlinkIsFollowedConfinedButKeepsItsName() throws {
        XCTAssertEqual(try plan(["link"], "/x/", dest: false), ["x/", "x/link"])
    }

    func testDotDotStaysInsideTheContext() throws {
        XCTAssertEqual(try plan(["../../a.txt"], "/", dest: false), ["a.txt"])
    }

    func testDestinationSymlinkIsResolvedInsideTheRoot() throws {
        XCTAssertEqual(try plan(["a.txt"], "/tolink/"), ["existing/", "existing/a.txt"])
    }

    func testErrors() throws {
        XCTAssertThrowsError(try plan(["missing"], "/")) { XCTAssertTrue("\($0)".contains("\"/missing\" not found"), "\($0)") }
        XCTAssertThrowsError(try plan([], "/")) { XCTAssertEqual("\($0)", "no source files were specified") }
        // BuildKit does not reject several sources to a non-directory (moby/buildkit#1853):
        // each is copied in turn; a directory then meets the file the first source made.
        XCTAssertEqual(try plan(["a.txt", "link"], "/x"), ["x"])
        XCTAssertThrowsError(try plan(["a.txt", "dir"], "/x")) { XCTAssertTrue("\($0)".contains("cannot copy to non-directory: /x"), "\($0)") }
        XCTAssertThrowsError(try plan(["a.txt"], "/", excluded: { $0 == "a.txt" })) { XCTAssertTrue("\($0)".contains("\"/a.txt\" not found")) }
    }

    func testExistingParentKeepsMetadataAndGetsTheCopyTimeWhenItGainsAName() throws {
        XCTAssertEqual(chown(root + "/dest/existing", 5, 6), 0)
        var times = [timespec(tv_sec: 1000, tv_nsec: 0), timespec(tv_sec: 1000, tv_nsec: 0)]
        XCTAssertEqual(utimensat(AT_FDCWD, root + "/dest/existing", &times, 0), 0)
        let tree = CopySourceTree(root: root + "/ctx", isContext: true)
        let plan = try CopyPlanner.plan(CopyRequest(sources: ["a.txt"], destination: "/existing/"), from: tree,
                                        destinationRoot: root + "/dest", scratch: root + "/scratch")
        let parent = plan.entries.first { $0.header.path == "existing/" }?.header
        XCTAssertEqual(parent?.uid, 5)
        XCTAssertEqual(parent?.gid, 6)
        XCTAssertGreaterThan(parent?.modificationTime.seconds ?? 0, 1000)
        XCTAssertEqual(plan.entries.first { $0.header.path == "existing/a.txt" }?.header.uid, 0)
    }

    func testEmptyWildcardAddsNothing() throws {
        XCTAssertEqual(try plan(["nothing*"], "/x/"), [])
    }

    func testDigestIgnoresTimes() throws {
        let request = CopyRequest(sources: ["dir"], destination: "/d/")
        let tree = CopySourceTree(root: root + "/ctx", isContext: true)
        let first = try CopyPlanner.plan(request, from: tree, destinationRoot: nil, scratch: root + "/scratch").sourceDigest
        var times = [timespec(tv_sec: 1000, tv_nsec: 0), timespec(tv_sec: 1000, tv_nsec: 0)]
        XCTAssertEqual(utimensat(AT_FDCWD, root + "/ctx/dir/sub/b.txt", &times, 0), 0)
        let second = try CopyPlanner.plan(request, from: tree, destinationRoot: nil, scratch: root + "/scratch").sourceDigest
        XCTAssertEqual(first, second)
        try Data("changed".utf8).write(to: URL(fileURLWithPath: root + "/ctx/dir/sub/b.txt"))
        let third = try CopyPlanner.plan(request, from: tree, destinationRoot: nil, scratch: root + "/scratch").sourceDigest
        XCTAssertNotEqual(first, third)
    }
}
