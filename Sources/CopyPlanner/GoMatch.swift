/// Go's `path/filepath.Match` on one path component, as BuildKit matches `COPY` wildcards:
/// `*` any run of characters but `/`, `?` one character but `/`, `[...]` / `[^...]` a class
/// of characters or `lo-hi` ranges, `\` escapes the next character. A malformed pattern
/// matches nothing (Go returns `ErrBadPattern`).
enum GoMatch {
    /// Whether `text` contains a character that makes it a wildcard pattern.
    static func hasWildcards(_ text: String) -> Bool {
        text.contains { $0 == "*" || $0 == "?" || $0 == "[" || $0 == "\\" }
    }

    static func matches(_ pattern: String, _ name: String) -> Bool {
        (try? match(Array(pattern.unicodeScalars)[...], Array(name.unicodeScalars)[...])) ?? false
    }

    private struct BadPattern: Error {}

    private static func match(_ p: ArraySlice<Unicode.Scalar>, _ s: ArraySlice<Unicode.Scalar>) throws -> Bool {
        var p = p
        var s = s
        while let c = p.first {
            switch c {
            case "*":
                let rest = p.dropFirst()
                if rest.isEmpty { return !s.contains("/") }
                var t = s
                while true {
                    if try match(rest, t) { return true }
                    guard let first = t.first, first != "/" else { return false }
                    t = t.dropFirst()
                }
            case "?":
                guard let first = s.first, first != "/" else { return false }
                p = p.dropFirst()
                s = s.dropFirst()
            case "[":
                guard let first = s.first, first != "/" else {
                    _ = try classEnd(p)  // still reject a malformed class
                    return false
                }
                let (matched, rest) = try matchClass(p.dropFirst(), first)
                guard matched else { return false }
                p = rest
                s = s.dropFirst()
            case "\\":
                p = p.dropFirst()
                guard let escaped = p.first else { throw BadPattern() }
                guard s.first == escaped else { return false }
                p = p.dropFirst()
                s = s.dropFirst()
            default:
                guard s.first == c else { return false }
                p = p.dropFirst()
                s = s.dropFirst()
            }
        }
        return s.isEmpty
    }

    /// Validates a class starting at `[` and returns what follows it.
    private static func classEnd(_ p: ArraySlice<Unicode.Scalar>) throws -> ArraySlice<Unicode.Scalar> {
        let (_, rest) = try matchClass(p.dropFirst(), "/")
        return rest
    }

    /// Matches `ch` against the class body `p` (after `[`); returns the result and what follows `]`.
    private static func matchClass(_ body: ArraySlice<Unicode.Scalar>, _ ch: Unicode.Scalar) throws -> (Bool, ArraySlice<Unicode.Scalar>) {
        var p = body
        var negated = false
        if p.first == "^" {
            negated = true
            p = p.dropFirst()
        }
        var matched = false
        var count = 0
        while true {
            guard let c = p.first else { throw BadPattern() }
            if c == "]" && count > 0 {
                p = p.dropFirst()
                break
            }
            let lo = try classChar(&p)
            var hi = lo
            if p.first == "-" {
                p = p.dropFirst()
                hi = try classChar(&p)
            }
            if lo.value <= ch.value && ch.value <= hi.value { matched = true }
            count += 1
        }
        return (matched != negated, p)
    }

    private static func classChar(_ p: inout ArraySlice<Unicode.Scalar>) throws -> Unicode.Scalar {
        guard var c = p.first, c != "-", c != "]" else { throw BadPattern() }
        p = p.dropFirst()
        if c == "\\" {
            guard let escaped = p.first else { throw BadPattern() }
            c = escaped
            p = p.dropFirst()
        }
        return c
    }
}
