// Go's deprecated matching functions, kept for bug-compatibility and because the vectors cover
// them. New code must use `matchesUsingParentResults` (context walks) or
// `matchesOrParentMatches` (single lookups).

extension PatternMatcher {
    /// DEPRECATED (Go `patternmatcher.Matches`): compiles `patterns`, cleans `path`, and matches it
    /// with ``matches(_:)``. A path that cleans to `.` is never excluded.
    @available(*, deprecated, message: "use matchesUsingParentResults or matchesOrParentMatches")
    public static func matches(_ path: String, patterns: [String]) throws(PatternError) -> Bool {
        try legacyMatches(path, patterns: patterns)
    }

    /// DEPRECATED (Go `PatternMatcher.Matches`): a pattern that does not match `path` gets one
    /// more try, on the ancestor with as many elements as the pattern has (if `path` has that many
    /// parent elements). So `**/dir` does not exclude `dir/file` here.
    @available(*, deprecated, message: "use matchesUsingParentResults or matchesOrParentMatches")
    public func matches(_ path: String) throws(PatternError) -> Bool {
        try legacyMatches(path)
    }

    /// DEPRECATED (Go `MatchesUsingParentResult`): walk mode with a single boolean. `matched`
    /// starts at `parentMatched` and only `path` itself is matched. Wrong with exclusions
    /// (`["**", "!a/b"]` still excludes `a/b/c`).
    @available(*, deprecated, message: "use matchesUsingParentResults")
    public func matchesUsingParentResult(_ path: String, parentMatched: Bool) throws(PatternError) -> Bool {
        try legacyMatchesUsingParentResult(path, parentMatched: parentMatched)
    }

    // Non-deprecated internal entry points (so tests can call them without warnings).

    static func legacyMatches(_ path: String, patterns: [String]) throws(PatternError) -> Bool {
        let matcher = try PatternMatcher(patterns)
        let cleaned = GoPath.clean(path)
        if cleaned == "." { return false }
        return try matcher.legacyMatches(cleaned)
    }

    func legacyMatches(_ path: String) throws(PatternError) -> Bool {
        let bytes = Array(path.utf8)
        let parent = GoPath.dir(bytes)
        let parentElements = parent.split(separator: GoPath.slash, omittingEmptySubsequences: false)
        var matched = false
        for pattern in patterns where pattern.isExclusion == matched {
            var match = try pattern.matches(bytes: bytes)
            if !match && parent != [GoPath.dot] && pattern.elementCount <= parentElements.count {
                let ancestor = Array(parentElements.prefix(pattern.elementCount).joined(separator: [GoPath.slash]))
                match = (try? pattern.matches(bytes: ancestor)) == true
            }
            if match { matched = !pattern.isExclusion }
        }
        return matched
    }

    func legacyMatchesUsingParentResult(_ path: String, parentMatched: Bool) throws(PatternError) -> Bool {
        let bytes = Array(path.utf8)
        var matched = parentMatched
        for pattern in patterns where pattern.isExclusion == matched {
            if try pattern.matches(bytes: bytes) { matched = !pattern.isExclusion }
        }
        return matched
    }
}
