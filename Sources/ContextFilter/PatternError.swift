/// A bad pattern (`illegal exclusion pattern: "!"`, `syntax error in pattern`), or a misuse of the
/// walk-mode API (a parent ``MatchInfo`` of the wrong length).
///
/// `message` is the Go error text; `pattern` and `detail` only add context for people
/// (`description` shows them).
public struct PatternError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The error text, as moby/patternmatcher words it.
    public var message: String
    /// The offending pattern as given (after trimming/cleaning), when there is one.
    public var pattern: String?
    /// Why the pattern is bad, when known (for example `invalid character class range l-O`).
    public var detail: String?

    public init(_ message: String, pattern: String? = nil, detail: String? = nil) {
        self.message = message
        self.pattern = pattern
        self.detail = detail
    }

    public var description: String {
        var text = message
        if let pattern { text += " \(quoted(pattern))" }
        if let detail { text += " (\(detail))" }
        return text
    }

    /// `illegal exclusion pattern: "!"`: a pattern that is just `!`.
    public static let illegalExclusion = PatternError("illegal exclusion pattern: \"!\"")

    /// Go's `filepath.ErrBadPattern` text, for a pattern that fails the syntax check (in `New`) or
    /// whose regexp does not compile (at match time).
    public static func badPattern(_ pattern: String, detail: String? = nil) -> PatternError {
        PatternError("syntax error in pattern", pattern: pattern, detail: detail)
    }

    /// A non-empty parent ``MatchInfo`` whose length is not the matcher's pattern count.
    public static let wrongParentInfo = PatternError("wrong number of values in parentMatched")

    private func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
