import XCTest
@testable import ContextFilter

final class ContextWalkerTests: XCTestCase {
    private var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-walk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: root)
    }

    private func file(_ path: String, _ content: String = "x") throws {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(content.utf8).write(to: url)
    }

    private func dir(_ path: String) throws {
        try FileManager.default.createDirectory(at: root.appendingPathComponent(path), withIntermediateDirectories: true)
    }

    private func paths(_ patterns: [String]) throws -> [String] {
        try ContextWalker(patterns: patterns).walk(root).map(\.path)
    }

    /// A tree used by several tests.
    private func makeTree() throws {
        try file("Dockerfile")
        try file(".dockerignore")
        try file("a.txt")
        try file("a/b.txt")
        try file("a/c/d.go")
        try file("a-b")
        try file("docs/README.md")
        try file("docs/guide/intro.md")
        try file("node_modules/x/index.js")
        try file("B")
    }

    func testOrderIsDepthFirstByteWise() throws {
        try makeTree()
        XCTAssertEqual(try paths([]), [
            ".dockerignore", "B", "Dockerfile", "a", "a/b.txt", "a/c", "a/c/d.go", "a-b", "a.txt",
            "docs", "docs/README.md", "docs/guide", "docs/guide/intro.md",
            "node_modules", "node_modules/x", "node_modules/x/index.js",
        ])
    }

    func testExclusionsAndExceptions() throws {
        try makeTree()
        XCTAssertEqual(try paths(["node_modules", "**/*.md", "!docs/README.md", "a/c"]), [
            ".dockerignore", "B", "Dockerfile", "a", "a/b.txt", "a-b", "a.txt",
            "docs", "docs/README.md", "docs/guide",
        ])
    }

    func testExcludedDirectoryIsDescendedOnlyForPossibleExceptions() throws {
        try makeTree()
        // `docs` is excluded; the exception re-includes one file, and `docs` itself is sent
        // (right before it) so that the file has its parent.
        XCTAssertEqual(try paths(["docs", "!docs/guide/intro.md", "node_modules"]).filter { !$0.hasPrefix("a") },
                       [".dockerignore", "B", "Dockerfile", "docs", "docs/guide", "docs/guide/intro.md"])
        // An exception that matches nothing inside: the directory stays out entirely.
        XCTAssertEqual(try paths(["*", "!docs/nothing"]), [])
        let walker = try ContextWalker(patterns: ["docs", "node_modules", "!docs/guide/*.md", "!a*/x"])
        XCTAssertTrue(walker.mayReinclude(insideExcludedDirectory: "docs"))
        XCTAssertTrue(walker.mayReinclude(insideExcludedDirectory: "docs/guide"))
        XCTAssertFalse(walker.mayReinclude(insideExcludedDirectory: "node_modules"))
        XCTAssertTrue(walker.mayReinclude(insideExcludedDirectory: "abc"))  // `a*` could be `abc`
        XCTAssertTrue(try ContextWalker(patterns: ["x", "!**/keep"]).mayReinclude(insideExcludedDirectory: "x"))
        XCTAssertFalse(try ContextWalker(patterns: ["x", "!x"]).mayReinclude(insideExcludedDirectory: "x"))
        XCTAssertFalse(try ContextWalker(patterns: ["x"]).mayReinclude(insideExcludedDirectory: "x"))
    }

    func testWildcardExceptionInsideExcludedTree() throws {
        try file("vendor/a/keep.txt")
        try file("vendor/a/drop.bin")
        try file("vendor/b/c/keep.txt")
        try file("main.go")
        XCTAssertEqual(try paths(["vendor", "!**/keep.txt"]), [
            "main.go", "vendor", "vendor/a", "vendor/a/keep.txt", "vendor/b", "vendor/b/c", "vendor/b/c/keep.txt",
        ])
        XCTAssertEqual(try paths(["**", "!main.go"]), ["main.go"])
    }

    func testWalkAgreesWithMatchingEachPath() throws {
        try makeTree()
        let patterns = ["a", "!a/c", "a/c/*.go", "*.txt", "!a.txt", "docs/**", "!docs/guide"]
        let matcher = try PatternMatcher(patterns)
        let all = try paths([])
        let expected = try all.filter { !(try matcher.matchesWalking($0)) }
        let walked = try paths(patterns)
        // Every non-excluded path is walked; extra entries are only parents of included paths.
        XCTAssertEqual(walked.filter { expected.contains($0) }, expected)
        for extra in walked where !expected.contains(extra) {
            XCTAssertTrue(walked.contains { $0.hasPrefix(extra + "/") && expected.contains($0) }, extra)
        }
    }

    func testEntryKindsSizesModesAndSymlinks() throws {
        try file("f", "hello")
        try dir("d")
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("link").path, withDestinationPath: "d")
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("dangling").path, withDestinationPath: "nowhere")
        try FileManager.default.setAttributes([.posixPermissions: 0o750], ofItemAtPath: root.appendingPathComponent("f").path)
        try file("d/inner")
        XCTAssertEqual(mkfifo(root.appendingPathComponent("fifo").path, 0o644), 0)

        let entries = try ContextWalker(patterns: []).walk(root)
        let byPath = Dictionary(uniqueKeysWithValues: entries.map { ($0.path, $0) })
        XCTAssertEqual(entries.map(\.path), ["d", "d/inner", "dangling", "f", "fifo", "link"])
        XCTAssertEqual(byPath["f"]?.kind, .file)
        XCTAssertEqual(byPath["f"]?.size, 5)
        XCTAssertEqual(byPath["f"]?.mode, 0o750)
        XCTAssertEqual(byPath["d"]?.kind, .directory)
        XCTAssertEqual(byPath["link"]?.kind, .symlink)
        XCTAssertEqual(byPath["link"]?.linkTarget, "d")
        XCTAssertEqual(byPath["dangling"]?.kind, .symlink)
        XCTAssertEqual(byPath["dangling"]?.size, 7)
        XCTAssertEqual(byPath["fifo"]?.kind, .other)
        // A symlink to a directory is not followed: nothing under "link/".
        XCTAssertFalse(entries.contains { $0.path.hasPrefix("link/") })
    }

    func testNonUTF8NamesAreStillExamined() throws {
        let name: [UInt8] = Array(root.path.utf8) + [UInt8(ascii: "/"), UInt8(ascii: "f"), 0xFF, 0]
        let fd = name.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_CREAT | O_WRONLY, 0o644) }
        }
        XCTAssertGreaterThanOrEqual(fd, 0)
        close(fd)
        let entries = try ContextWalker(patterns: []).walk(root)
        XCTAssertEqual(entries.map(\.path), ["f\u{FFFD}"])
        XCTAssertEqual(entries.first?.kind, .file)
        XCTAssertEqual(try paths(["f?"]), [])
    }

    func testErrors() throws {
        XCTAssertThrowsError(try ContextWalker(patterns: []).walk(root.appendingPathComponent("missing"))) { error in
            guard case .notADirectory = error as? ContextWalkError else { return XCTFail("\(error)") }
        }
        try file("x")
        XCTAssertThrowsError(try ContextWalker(patterns: ["[l-O]"]).walk(root)) { error in
            guard case .pattern = error as? ContextWalkError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try ContextWalker(patterns: ["!"]))
    }

    func testDockerignoreVectorsThroughTheWalker() throws {
        // buildkit testDockerignore: `ba*`, `Dockerfile`, `!bay`, `.dockerignore`.
        for name in ["Dockerfile", ".dockerignore", "foo", "bar", "baz", "bay"] { try file(name) }
        let patterns = try IgnoreFile.read(Array("\nba*\nDockerfile\n!bay\n.dockerignore\n".utf8))
        XCTAssertEqual(try paths(patterns), ["bay", "foo"])
    }
}
