import XCTest
@testable import ContextFilter

/// Hand-written cases beyond the shared vectors: the rest of Go's `TestMatches`/`TestMatch`
/// tables as behaviour facts, and Go-regexp quirks that follow from the documented compilation.
final class MatchTableTests: XCTestCase {
    /// Single-pattern cases checked with every walk-style function (Go `TestMatches`).
    private let single: [(String, String, Bool)] = [
        ("**", "dir/file/", true),
        ("**/**", "dir/file/", true),
        ("**/dir", "dir", true),
        ("**/dir2/*", "dir/dir2/file/", true),
        ("**/dir2/**", "dir/dir2/dir3/file/", true),
        ("**/file*", "dir/dir/file", true),
        ("**/file*.txt*", "dir/dir/file.txt", true),
        ("a**/*.txt", "a/file.txt", true),
        ("a[b-d]e", "ace", true),
        ("a[^b-d]e", "aze", true),
        ("abc.def", "abc.def", true),
        ("**/foo/bar", "foo/bar", true),
        ("abc/**", "abc", false),
        ("**/.foo", ".foo", true),
        ("**/.foo", "bar.foo", false),
        ("a(b)c/def", "a(b)c/def", true),
        ("a(b)c/def", "a(b)c/xyz", false),
        ("a.|)$(}+{bc", "a.|)$(}+{bc", true),
        ("**file", "dirfile", true),  // suffix rule: plain string suffix
        ("/a", "a", false),  // New keeps the leading slash
        ("docs/", "docs/readme", true),
        ("!./a", "x", false),
    ]

    func testSingleTableWithEveryWalkFunction() throws {
        for (pattern, path, expected) in single {
            let matcher = try PatternMatcher([pattern])
            XCTAssertEqual(try matcher.matchesOrParentMatches(path), expected, "MatchesOrParentMatches \(pattern) \(path)")
            XCTAssertEqual(try matcher.matchesWalking(path), expected, "MatchesUsingParentResults \(pattern) \(path)")
            XCTAssertEqual(try matcher.matchesUsingParentResults(path).0, expected, "NoContext \(pattern) \(path)")
        }
    }

    /// Go `TestMatch` (deprecated package-level `Matches`).
    func testLegacyMatchesTable() throws {
        let cases: [(String, String, Bool)] = [
            ("abc", "abc", true),
            ("a*/b", "abc/b", true),
            ("a*/b", "a/c/b", false),
            ("a*b*c*d*e*/f", "axbxcxdxe/f", true),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/f", true),
            ("a\\*b", "a*b", true),
            ("a?b", "a☺b", true),
            ("a?b", "a/b", false),
            ("a*b", "a/b", false),
            ("[\\-]", "-", true),
            ("**/dir", "dir/file", false),  // only one ancestor, of the pattern's length, is tried
            ("*.go", "./", false),
        ]
        for (pattern, path, expected) in cases {
            XCTAssertEqual(try PatternMatcher.legacyMatches(path, patterns: [pattern]), expected, "Matches \(pattern) \(path)")
        }
        for bad in ["[]a]", "[^", "[x-]", "[-x]", "\\", "[a-b-c]"] {
            XCTAssertThrowsError(try PatternMatcher.legacyMatches("a", patterns: [bad]), bad)
        }
    }

    func testNewErrorsAndCounts() throws {
        XCTAssertThrowsError(try PatternMatcher(["a", "!"])) { error in
            XCTAssertEqual((error as? PatternError)?.message, "illegal exclusion pattern: \"!\"")
        }
        XCTAssertThrowsError(try PatternMatcher(["a["])) { error in
            XCTAssertEqual((error as? PatternError)?.message, "syntax error in pattern")
        }
        let matcher = try PatternMatcher(["  docs/  ", "\u{00A0}", "", "!docs/README.md", "\t"])
        XCTAssertEqual(matcher.count, 2)
        XCTAssertTrue(matcher.hasExclusions)
        XCTAssertEqual(matcher.patterns.map(\.description), ["docs", "!docs/README.md"])
        XCTAssertFalse(try PatternMatcher(["a", "b"]).hasExclusions)
        // Go TestCleanPatterns*: surrounding spaces do not hide the `!`.
        XCTAssertTrue(try PatternMatcher(["docs", "  !docs/README.md"]).hasExclusions)
        XCTAssertTrue(try PatternMatcher(["docs", "!docs/README.md  "]).hasExclusions)
        XCTAssertEqual(try PatternMatcher(["docs", "config", ""]).count, 2)
        XCTAssertFalse(try PatternMatcher.legacyMatches("docs/README.md", patterns: ["docs/", "!docs/README.md"]))
        // `!./a` is cleaned before the `!` is looked at, so it stays `!./a` → exclusion of "./a".
        XCTAssertEqual(try PatternMatcher(["!./a"]).patterns.first?.text, "./a")
        XCTAssertEqual(try PatternMatcher(["!a/../b"]).patterns.first?.text, "b")
    }

    func testMatchStageErrorIsRememberedAndSkippedWhenNotEvaluated() throws {
        let matcher = try PatternMatcher(["[l-O]"])
        for _ in 0..<3 {
            XCTAssertThrowsError(try matcher.matchesOrParentMatches("x"))
            XCTAssertThrowsError(try matcher.matchesWalking("a/b"))
        }
        // An exclusion pattern is not evaluated while nothing matched, so no error.
        XCTAssertFalse(try PatternMatcher(["!x[l-O]"]).matchesOrParentMatches("x"))
        XCTAssertThrowsError(try PatternMatcher(["x", "!x[l-O]"]).matchesOrParentMatches("x"))
    }

    func testWrongParentInfoLength() throws {
        let matcher = try PatternMatcher(["a", "b"])
        XCTAssertThrowsError(try matcher.matchesUsingParentResults("a/b", parent: MatchInfo(parentMatched: [true])))
        let (excluded, info) = try matcher.matchesUsingParentResults("a", parent: MatchInfo())
        XCTAssertTrue(excluded)
        XCTAssertEqual(info.parentMatched, [true, false])
        XCTAssertTrue(try matcher.matchesUsingParentResults("a/x", parent: info).0)
    }

    func testParentResultsWithExceptions() throws {
        // A later exception re-includes one file of an excluded directory, nothing else.
        let matcher = try PatternMatcher(["docs", "!docs/README.md"])
        XCTAssertTrue(try matcher.matchesWalking("docs"))
        XCTAssertFalse(try matcher.matchesWalking("docs/README.md"))
        XCTAssertTrue(try matcher.matchesWalking("docs/other.md"))
        // Patterns the parent matched apply even where the skip rule would skip them.
        let m2 = try PatternMatcher(["a", "!a/b", "a/b/c"])
        XCTAssertFalse(try m2.matchesWalking("a/b"))
        XCTAssertFalse(try m2.matchesWalking("a/b/x"))
        XCTAssertTrue(try m2.matchesWalking("a/b/c"))
        XCTAssertTrue(try m2.matchesWalking("a/b/c/d"))
    }

    func testDeprecatedSingleBooleanWalkIsWrongWithExceptions() throws {
        let matcher = try PatternMatcher(["**", "!util/docker/web"])
        var parent = false
        for prefix in ["util", "util/docker", "util/docker/web"] {
            parent = try matcher.legacyMatchesUsingParentResult(prefix, parentMatched: parent)
        }
        XCTAssertTrue(try matcher.legacyMatchesUsingParentResult("util/docker/web/foo", parentMatched: parent))
        XCTAssertFalse(try matcher.matchesWalking("util/docker/web/foo"))
    }

    /// Consequences of copying classes and escapes into a Go regexp (documented in FORMAT.md).
    func testRegexpQuirks() throws {
        func excluded(_ pattern: String, _ path: String) throws -> Bool {
            try PatternMatcher([pattern]).matchesOrParentMatches(path)
        }
        XCTAssertTrue(try excluded("a[^x]b", "a/b"))  // a regexp class can match '/'
        XCTAssertTrue(try excluded("^ab*", "abc"))  // '^' is an anchor in a regexp pattern
        XCTAssertTrue(try excluded("^ab", "^ab"))  // ...but literal in an exact one
        XCTAssertFalse(try excluded("a^b*", "a^bc"))
        XCTAssertFalse(try excluded("**/**", "a\nb"))  // '.' does not match a newline
        XCTAssertTrue(try excluded("*", "a\nb"))  // a negated class does
        XCTAssertTrue(try excluded("f[[:digit:]]", "f7"))
        XCTAssertThrowsError(try excluded("f[[:bogus:]]", "f7"))
        XCTAssertTrue(try excluded("f\\d", "f7"))
        XCTAssertThrowsError(try excluded("f\\q", "fq"))
        XCTAssertTrue(try excluded("[*]", "]"))  // `*` inside a class still becomes `[^/]*`
        XCTAssertTrue(try excluded("a[☺-☻]b", "a☻b"))
        XCTAssertTrue(try excluded("a\\.b", "a.b"))
        XCTAssertFalse(try excluded("a\\.b", "axb"))
    }

    func testNoBacktrackingBlowUp() throws {
        let deep = Array(repeating: "x", count: 2000).joined(separator: "/") + "/b"
        let stars = try PatternMatcher([Array(repeating: "**", count: 12).joined(separator: "/") + "/a"])
        let many = try PatternMatcher(["*a*a*a*a*a*a*a*a*a*a*a*b"])
        let long = String(repeating: "a", count: 5000)
        let start = Date()
        XCTAssertFalse(try stars.matchesOrParentMatches(deep))
        XCTAssertFalse(try many.matchesOrParentMatches(long))
        XCTAssertFalse(try stars.matchesWalking(Array(repeating: "x", count: 200).joined(separator: "/")))
        XCTAssertLessThan(Date().timeIntervalSince(start), 10, "matching took too long")
    }

    /// Random patterns and paths from a small alphabet: nothing may crash or hang.
    func testRandomInputsDoNotCrash() {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("ab/*?[]^-!\\.☺ \n")
        for _ in 0..<3000 {
            let pattern = String((0..<Int.random(in: 0...10, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            let path = String((0..<Int.random(in: 0...12, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            guard let matcher = try? PatternMatcher([pattern, "!" + pattern]) else { continue }
            _ = try? matcher.matchesOrParentMatches(path)
            _ = try? matcher.matchesWalking(path)
            _ = try? matcher.legacyMatches(path)
            _ = try? PatternMatcher.legacyMatches(path, patterns: [pattern])
        }
    }
}
