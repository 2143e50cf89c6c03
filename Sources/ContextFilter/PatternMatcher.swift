/// A compiled list of .dockerignore patterns with BuildKit's (moby/patternmatcher) semantics.
///
/// Every matching method evaluates the patterns in order with a running `matched` flag that starts
/// false: an inclusion pattern is skipped while `matched` is true, an exclusion (`!`) pattern while
/// it is false, and a pattern that is evaluated and matches sets `matched = !isExclusion`. So the
/// last applicable pattern wins, and `!` can only undo an earlier match. `true` means "excluded
/// from the build context".
///
/// Paths are slash-separated, relative to the context root, and are *not* cleaned (except by the
/// deprecated ``matches(_:patterns:)``).
public struct PatternMatcher: Sendable {
    /// The patterns kept, in order (blank strings are dropped).
    public let patterns: [Pattern]
    /// True when at least one pattern is an exclusion (`!`) pattern.
    public let hasExclusions: Bool

    /// The number of patterns kept.
    public var count: Int { patterns.count }

    /// Go `New`: for each string, trim whitespace (skip if empty), `filepath.Clean` it, then take a
    /// leading `!` as an exclusion (a bare `!` is an error), and check the rest with Go's
    /// `filepath.Match` syntax rules. A leading `/` is *not* removed (only ``IgnoreFile`` does that).
    ///
    /// - Throws: ``PatternError/illegalExclusion`` or ``PatternError/badPattern(_:detail:)``.
    public init(_ patterns: [String]) throws(PatternError) {
        var kept: [Pattern] = []
        var exclusions = false
        for raw in patterns {
            let trimmed = GoPath.trimSpace(raw)
            if trimmed.isEmpty { continue }
            var text = GoPath.clean(trimmed)
            var isExclusion = false
            if text.utf8.first == UInt8(ascii: "!") {
                if text.utf8.count == 1 { throw .illegalExclusion }
                isExclusion = true
                exclusions = true
                text = String(decoding: text.utf8.dropFirst(), as: UTF8.self)
            }
            guard GlobSyntax.isValid(text) else { throw .badPattern(text) }
            kept.append(Pattern(text: text, isExclusion: isExclusion))
        }
        self.patterns = kept
        self.hasExclusions = exclusions
    }

    /// Go `MatchesOrParentMatches`: a pattern applies if it matches `path` or, failing that, any
    /// ancestor prefix of it (`a`, `a/b`, … shortest first). What BuildKit uses for single-path
    /// lookups.
    public func matchesOrParentMatches(_ path: String) throws(PatternError) -> Bool {
        let bytes = Array(path.utf8)
        let ancestors = Ancestors(of: bytes)
        var matched = false
        for pattern in patterns where pattern.isExclusion == matched {
            if try pattern.matches(bytes: bytes) || pattern.matchesAny(ancestors) {
                matched = !pattern.isExclusion
            }
        }
        return matched
    }

    /// Go `MatchesUsingParentResults`: the walk-mode check that filters a build context.
    ///
    /// Pass the ``MatchInfo`` returned for the parent directory (or `MatchInfo()` for an entry at
    /// the context root, or when nothing is known about the parent). A pattern the parent matched
    /// counts as matched without being evaluated again (even where the skip rule would skip it);
    /// other patterns follow the skip rule and are matched against `path` itself, and, only when no
    /// parent information was given, against its ancestor prefixes too.
    ///
    /// - Returns: whether `path` is excluded, and the per-pattern results to hand to its children.
    /// - Throws: a bad pattern, or ``PatternError/wrongParentInfo`` for a non-empty `parent` whose
    ///   length is not ``count``.
    public func matchesUsingParentResults(
        _ path: String, parent: MatchInfo = MatchInfo()
    ) throws(PatternError) -> (Bool, MatchInfo) {
        let parentMatched = parent.parentMatched
        let known = !parentMatched.isEmpty
        if known && parentMatched.count != patterns.count { throw .wrongParentInfo }
        let bytes = Array(path.utf8)
        var ancestors: Ancestors?  // computed on first need
        var matched = false
        var info = [Bool](repeating: false, count: patterns.count)
        for (index, pattern) in patterns.enumerated() {
            var match = known && parentMatched[index]
            if !match {
                if pattern.isExclusion != matched { continue }
                match = try pattern.matches(bytes: bytes)
                if !match && !known {
                    let set = ancestors ?? Ancestors(of: bytes)
                    ancestors = set
                    match = pattern.matchesAny(set)
                }
            }
            info[index] = match
            if match { matched = !pattern.isExclusion }
        }
        return (matched, MatchInfo(parentMatched: info))
    }

    /// Walk-mode result for one path, as a context walk would compute it: calls
    /// ``matchesUsingParentResults(_:parent:)`` for each ancestor prefix of `path` (shortest first,
    /// starting from `MatchInfo()`), handing each result to the next, and finally for `path`.
    public func matchesWalking(_ path: String) throws(PatternError) -> Bool {
        var info = MatchInfo()
        for prefix in GoPath.ancestorPrefixes(Array(path.utf8)) {
            info = try matchesUsingParentResults(String(decoding: prefix, as: UTF8.self), parent: info).1
        }
        return try matchesUsingParentResults(path, parent: info).0
    }
}

/// Per-pattern results of ``PatternMatcher/matchesUsingParentResults(_:parent:)`` for a directory,
/// handed to the calls for its children. `MatchInfo()` means "nothing known about the parent".
public struct MatchInfo: Sendable, Equatable {
    /// For each pattern, whether it matched the directory (skipped patterns record false).
    public var parentMatched: [Bool]

    public init() { parentMatched = [] }
    public init(parentMatched: [Bool]) { self.parentMatched = parentMatched }
}
