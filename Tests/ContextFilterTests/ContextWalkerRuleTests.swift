import Foundation
import TestVectors
import XCTest
@testable import ContextFilter

/// The walker's two exclusion rules (ContextExclusionRule): the dockerignore vectors through a real
/// walk for each, the cases where they differ, and Docker 20.10's rule against the builder's
/// earlier walk of its own (kept here as the reference it must keep matching).
final class ContextWalkerRuleTests: XCTestCase {
    private var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-walk-rule-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: root)
    }

    private func file(_ path: String, in base: URL? = nil) throws {
        let url = (base ?? root).appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("x".utf8).write(to: url)
    }

    private func paths(_ patterns: [String], _ rule: ContextExclusionRule) throws -> [String] {
        try ContextWalker(patterns: patterns, rule: rule).walk(root).map(\.path)
    }

    /// A path a vector names that can be created as a file under a fresh root.
    private func creatable(_ path: String) -> Bool {
        !path.isEmpty && !path.hasPrefix("/") && !path.hasSuffix("/") && !path.contains("\\")
            && !path.split(separator: "/", omittingEmptySubsequences: false).contains { $0.isEmpty || $0 == "." || $0 == ".." }
    }

    /// Every non-error vector of the function a rule matches with, through a walk of a tree holding
    /// the vector's path: `parentResults` includes the path exactly when the vector does not match
    /// it (its directory skipping never changes the answer); `docker2010` too, unless an excluded
    /// directory above the path is not entered (then the path is not sent, by design).
    func testDockerignoreVectorsThroughTheWalk() throws {
        let records = try Vectors.records("dockerignore/patterns.json")
        var checked: [ContextExclusionRule: Int] = [:]
        for record in records where record["error"] as? Bool != true {
            let fn = record["fn"] as? String ?? ""
            let rule: ContextExclusionRule
            switch fn {
            case "MatchesUsingParentResults": rule = .parentResults
            case "Matches": rule = .docker2010
            default: continue
            }
            let patterns = record["patterns"] as? [String] ?? []
            guard let path = record["path"] as? String, creatable(path), let match = record["match"] as? Bool,
                  let walker = try? ContextWalker(patterns: patterns, rule: rule) else { continue }
            let base = root.appendingPathComponent("v\(record["id"] as? Int ?? 0)-\(checked.values.reduce(0, +))")
            try file(path, in: base)
            let included = try walker.walk(base).map(\.path).contains(path)
            var expected = !match
            if rule == .docker2010 {
                let parts = path.split(separator: "/").map(String.init)
                for end in parts.indices.dropLast() {
                    let ancestor = parts[...end].joined(separator: "/")
                    if try walker.matcher.matches(ancestor), !walker.entersExcluded(directory: ancestor) {
                        expected = false
                    }
                }
            }
            XCTAssertEqual(included, expected, "vector \(record["id"] ?? "?") \(fn) \(patterns) \(path)")
            checked[rule, default: 0] += 1
        }
        XCTAssertGreaterThanOrEqual(checked[.parentResults] ?? 0, 50)
        XCTAssertGreaterThan(checked[.docker2010] ?? 0, 20)
    }

    func testAnExceptionWithWildcardsReachesIntoAnExcludedDirectoryOnlyWithParentResults() throws {
        try file("vendor/a/keep.txt")
        try file("vendor/b.txt")
        try file("main.go")
        XCTAssertEqual(try paths(["vendor", "!**/keep.txt"], .parentResults), ["main.go", "vendor", "vendor/a", "vendor/a/keep.txt"])
        XCTAssertEqual(try paths(["vendor", "!**/keep.txt"], .docker2010), ["main.go"])
    }

    func testAnEnteredExcludedDirectoryIsSentByDocker2010EvenWhenEmpty() throws {
        try file("docs/sub/file.md")
        try file("docs/other.md")
        XCTAssertEqual(try paths(["docs", "!docs/sub/file.md"], .parentResults), ["docs", "docs/sub", "docs/sub/file.md"])
        XCTAssertEqual(try paths(["docs", "!docs/sub/file.md"], .docker2010), ["docs", "docs/sub", "docs/sub/file.md"])
        XCTAssertEqual(try paths(["docs", "!docs/sub/gone.md"], .parentResults), [])
        XCTAssertEqual(try paths(["docs", "!docs/sub/gone.md"], .docker2010), ["docs", "docs/sub"])
    }

    /// The builder's own walk before the rule moved into ContextWalker, verbatim in behaviour.
    private func earlierBuilderWalk(_ matcher: PatternMatcher) throws -> Set<String> {
        var result = Set<String>()
        let exceptions = matcher.patterns.filter(\.isExclusion).map { $0.text + "/" }
        func walk(_ relative: String) throws {
            let absolute = relative.isEmpty ? root.path : root.path + "/" + relative
            for name in try FileManager.default.contentsOfDirectory(atPath: absolute).sorted() {
                let path = relative.isEmpty ? name : relative + "/" + name
                var info = stat()
                guard lstat(root.path + "/" + path, &info) == 0 else { continue }
                let isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
                if try matcher.matches(path) {
                    guard isDirectory, exceptions.contains(where: { $0.hasPrefix(path + "/") }) else { continue }
                }
                result.insert(path)
                if isDirectory { try walk(path) }
            }
        }
        try walk("")
        return result
    }

    func testDocker2010RuleIsTheBuildersEarlierWalk() throws {
        for path in ["Dockerfile", "a.txt", "a/b.txt", "a/c/d.go", "a/c/e/f.md", "docs/README.md", "docs/guide/intro.md",
                     "node_modules/x/index.js", "node_modules/keep/me.js", "vendor/a/keep.txt", "x/y/z/keep"] {
            try file(path)
        }
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("link").path, withDestinationPath: "a")
        let sets: [[String]] = [
            [], ["a"], ["a", "!a/c"], ["a", "!a/c/d.go"], ["**/*.md", "!docs/README.md"], ["docs", "!docs/guide/*.md"],
            ["node_modules", "!node_modules/keep"], ["node_modules", "!node_modules/keep/me.js", "node_modules/keep"],
            ["vendor", "!**/keep.txt"], ["*", "!Dockerfile"], ["x", "!x/y/z/keep"], ["x/y", "!x"], ["link"], ["a/*", "!a/c/e"],
            ["**", "!a/c/e/f.md"], ["a/c", "!a/c"], ["?.txt"], ["[a-d]*", "!docs/guide"],
        ]
        for patterns in sets {
            let matcher = try PatternMatcher(patterns)
            let walked = Set(try ContextWalker(matcher: matcher, rule: .docker2010).walk(root).map(\.path))
            XCTAssertEqual(walked, try earlierBuilderWalk(matcher), "\(patterns)")
        }
    }
}
