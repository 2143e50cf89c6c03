/// The syntax check `New` runs on every pattern: the rules of Go's `filepath.Match`, which
/// rejects a pattern with `ErrBadPattern` no matter whether the match itself would succeed.
///
/// Grammar accepted (Unicode scalars):
///
///     pattern  = { '*' | '?' | '\' any | class | other }
///     class    = '[' [ '^' ] item { item } ']'
///     item     = char [ '-' char ]
///     char     = '\' any | any except '-' and ']'
///
/// plus one extra rule of Go's implementation: every class `char` must be followed by at least one
/// more scalar (so `[^bc` fails on the `c`). Hence `[`, `[^`, `a[`, `[]a]`, `[-]`, `[-x]`, `[x-]`,
/// `[a-b-c]` and a trailing lone `\` are bad. Range order is *not* checked here (`[l-O]` passes;
/// it fails later, when the pattern's regexp is compiled).
enum GlobSyntax {
    /// True when Go's `filepath.Match(pattern, ".")` would not return `ErrBadPattern`.
    static func isValid(_ pattern: String) -> Bool {
        let s = Array(pattern.unicodeScalars)
        var i = 0
        while i < s.count {
            switch s[i] {
            case "\\":
                guard i + 1 < s.count else { return false }
                i += 2
            case "[":
                guard let end = classEnd(s, from: i + 1) else { return false }
                i = end
            default:
                i += 1
            }
        }
        return true
    }

    /// Validates a class body starting right after `[`; returns the index after its `]`.
    private static func classEnd(_ s: [Unicode.Scalar], from start: Int) -> Int? {
        var i = start
        if i < s.count && s[i] == "^" { i += 1 }
        var items = 0
        while true {
            if i < s.count && s[i] == "]" && items > 0 { return i + 1 }
            guard let afterLow = classChar(s, at: i) else { return nil }
            i = afterLow
            if s[i] == "-" {
                guard let afterHigh = classChar(s, at: i + 1) else { return nil }
                i = afterHigh
            }
            items += 1
        }
    }

    /// One class `char` at `i`; returns the index after it, which is always a valid index
    /// (`nil` if the pattern ends right after the char, as Go requires).
    private static func classChar(_ s: [Unicode.Scalar], at index: Int) -> Int? {
        var i = index
        guard i < s.count, s[i] != "-", s[i] != "]" else { return nil }
        if s[i] == "\\" {
            i += 1
            guard i < s.count else { return nil }
        }
        i += 1
        return i < s.count ? i : nil
    }
}
