/// One compiled context-filter pattern (moby/patternmatcher `Pattern`).
///
/// Built by ``PatternMatcher/init(_:)`` from a trimmed, cleaned pattern with its leading `!`
/// removed. The pattern is classified once (see ``MatchType``); a regexp that fails to compile is
/// remembered, so every match call on it throws ``PatternError/badPattern(_:detail:)`` again.
public struct Pattern: Sendable, CustomStringConvertible {
    /// How a pattern is matched against a path.
    public enum MatchType: String, Sendable {
        /// Plain string equality (no wildcard, class or escape).
        case exact
        /// Ends in `**` with no other wildcard: string-prefix test on the text without `**`.
        case prefix
        /// Starts with `**` with no later wildcard: the path ends with the rest (or, when the rest
        /// starts with `/`, equals the rest without that `/`).
        case suffix
        /// Everything else: an anchored regular expression over the whole path.
        case regexp
    }

    /// The cleaned pattern without its `!`.
    public let text: String
    /// True for a `!` (re-include) pattern.
    public let isExclusion: Bool
    /// The classification of ``text``.
    public let matchType: MatchType
    /// The regexp source built for a ``MatchType/regexp`` pattern (same text as Go builds).
    public let regexpSource: String?

    /// Number of `/`-separated elements of ``text`` (used by the deprecated `Matches`).
    let elementCount: Int
    private let compiled: Compiled

    private enum Compiled: Sendable {
        case literal([UInt8])  // exact, prefix or suffix operand
        case regexp(RegexProgram)
        case invalid(String)  // regexp compile error
    }

    init(text: String, isExclusion: Bool) {
        self.text = text
        self.isExclusion = isExclusion
        self.elementCount = GoPath.elementCount(Array(text.utf8))
        let (type, source) = Pattern.classify(text)
        self.matchType = type
        let bytes = Array(text.utf8)
        switch type {
        case .exact:
            regexpSource = nil
            compiled = .literal(bytes)
        case .prefix:
            regexpSource = nil
            compiled = .literal(Array(bytes.dropLast(2)))
        case .suffix:
            regexpSource = nil
            compiled = .literal(Array(bytes.dropFirst(2)))
        case .regexp:
            regexpSource = source
            switch RegexProgram.compile(source) {
            case .success(let program): compiled = .regexp(program)
            case .failure(let error): compiled = .invalid(error.reason)
            }
        }
    }

    public var description: String { (isExclusion ? "!" : "") + text }

    /// Whether this pattern (ignoring ``isExclusion``) matches `path` exactly as given.
    public func matches(_ path: String) throws(PatternError) -> Bool {
        try matches(bytes: Array(path.utf8))
    }

    func matches(bytes path: [UInt8]) throws(PatternError) -> Bool {
        switch compiled {
        case .invalid(let reason):
            throw .badPattern(text, detail: reason)
        case .regexp(let program):
            return program.matches(Array(String(decoding: path, as: UTF8.self).unicodeScalars))
        case .literal(let operand):
            switch matchType {
            case .exact:
                return path == operand
            case .prefix:
                return path.starts(with: operand)
            case .suffix:
                if path.count >= operand.count && path.suffix(operand.count).elementsEqual(operand) {
                    return true
                }
                return operand.first == GoPath.slash && path.elementsEqual(operand.dropFirst())
            case .regexp:
                return false  // unreachable: regexp patterns are never .literal
            }
        }
    }

    /// True if the pattern matches one of the ancestor prefixes in `ancestors` (errors ignored, as
    /// in Go: callers have already matched the path itself, so the pattern compiles). One pass
    /// over the parent path, whatever its depth.
    func matchesAny(_ ancestors: Ancestors) -> Bool {
        if ancestors.isEmpty { return false }
        switch compiled {
        case .invalid:
            return false
        case .regexp(let program):
            return program.matches(ancestors.scalars, prefixEnds: ancestors.scalarEnds)
        case .literal(let operand):
            let dir = ancestors.bytes
            for end in ancestors.byteEnds {
                let prefix = dir[..<end]
                switch matchType {
                case .exact:
                    if prefix.elementsEqual(operand) { return true }
                case .prefix:
                    if prefix.starts(with: operand) { return true }
                case .suffix:
                    if prefix.count >= operand.count && prefix.suffix(operand.count).elementsEqual(operand) { return true }
                    if operand.first == GoPath.slash && prefix.elementsEqual(operand.dropFirst()) { return true }
                case .regexp:
                    return false
                }
            }
            return false
        }
    }

    /// Classifies a cleaned pattern and builds its regexp source (meaningful for `.regexp` only).
    ///
    /// Rules, scanning left to right (separator `/`):
    /// * `**` swallows one following `/`. At the end of the pattern it turns an exact pattern into a
    ///   prefix one, and otherwise appends `.*`; elsewhere it appends `(.*/)?`. A `**` at position 0
    ///   makes the pattern a suffix pattern (a later wildcard turns it back into a regexp).
    /// * `*` → `[^/]*`, `?` → `[^/]`, `[` and `]` are copied (regexp).
    /// * `\x` → `\x` (regexp); a trailing `\` → `\\` (literal backslash, type unchanged).
    /// * `. + ( ) | { } $` are escaped; anything else (including `^`) is copied.
    static func classify(_ pattern: String) -> (MatchType, String) {
        let s = Array(pattern.unicodeScalars)
        var type = MatchType.exact
        var re = "^"
        var i = 0
        while i < s.count {
            let start = i
            let c = s[i]
            i += 1
            switch c {
            case "*":
                guard i < s.count, s[i] == "*" else {
                    re += "[^/]*"
                    type = .regexp
                    continue
                }
                i += 1
                if i < s.count && s[i] == "/" { i += 1 }
                if i == s.count {
                    if type == .exact {
                        type = .prefix
                    } else {
                        re += ".*"
                        type = .regexp
                    }
                } else {
                    re += "(.*/)?"
                    type = .regexp
                }
                if start == 0 { type = .suffix }
            case "?":
                re += "[^/]"
                type = .regexp
            case ".", "+", "(", ")", "|", "{", "}", "$":
                re += "\\"
                re.unicodeScalars.append(c)
            case "\\":
                if i < s.count {
                    re += "\\"
                    re.unicodeScalars.append(s[i])
                    i += 1
                    type = .regexp
                } else {
                    re += "\\\\"
                }
            case "[", "]":
                re.unicodeScalars.append(c)
                type = .regexp
            default:
                re.unicodeScalars.append(c)
            }
        }
        return (type, re + "$")
    }
}
