/// Shell-style matching with the rules of Go's `filepath.Match` on `/`-separated paths:
/// `*` matches any run of non-`/` characters, `?` one non-`/` character, `[a-z]` / `[^…]` a
/// character class, and `\` escapes the next character. A malformed pattern matches nothing.
enum GlobMatch {
    static func matches(_ pattern: String, _ path: String) -> Bool {
        match(Array(pattern), 0, Array(path), 0) ?? false
    }

    /// Whether `word` uses any wildcard character.
    static func hasWildcards(_ word: String) -> Bool {
        word.contains { "*?[\\".contains($0) }
    }

    /// nil when the pattern is malformed.
    private static func match(_ p: [Character], _ pi: Int, _ s: [Character], _ si: Int) -> Bool? {
        var pi = pi, si = si
        while pi < p.count {
            switch p[pi] {
            case "*":
                var rest = pi
                while rest < p.count, p[rest] == "*" { rest += 1 }
                var end = si
                while true {
                    if let m = match(p, rest, s, end) {
                        if m { return true }
                    } else { return nil }
                    if end >= s.count || s[end] == "/" { return false }
                    end += 1
                }
            case "?":
                guard si < s.count, s[si] != "/" else { return false }
                pi += 1; si += 1
            case "[":
                guard let (matched, next) = matchClass(p, pi, si < s.count ? s[si] : nil) else { return nil }
                guard matched else { return false }
                pi = next; si += 1
            case "\\":
                guard pi + 1 < p.count else { return nil }
                guard si < s.count, s[si] == p[pi + 1] else { return false }
                pi += 2; si += 1
            default:
                guard si < s.count, s[si] == p[pi] else { return false }
                pi += 1; si += 1
            }
        }
        return si == s.count
    }

    /// Matches `c` against the class starting at `p[start] == "["`; returns (matched, index after `]`),
    /// or nil when the class is malformed. A nil or `/` character never matches.
    private static func matchClass(_ p: [Character], _ start: Int, _ c: Character?) -> (Bool, Int)? {
        var i = start + 1
        let negated = i < p.count && p[i] == "^"
        if negated { i += 1 }
        var matched = false
        var first = true
        while true {
            guard i < p.count else { return nil }
            if p[i] == "]", !first { break }
            first = false
            guard let lo = literal(p, &i) else { return nil }
            var hi = lo
            if i + 1 < p.count, p[i] == "-", p[i + 1] != "]" {
                i += 1
                guard let h = literal(p, &i) else { return nil }
                hi = h
            }
            if let c, lo <= c, c <= hi { matched = true }
        }
        guard let c, c != "/" else { return (false, i + 1) }
        return (matched != negated, i + 1)
    }

    private static func literal(_ p: [Character], _ i: inout Int) -> Character? {
        if p[i] == "\\" {
            guard i + 1 < p.count else { return nil }
            i += 2
            return p[i - 1]
        }
        i += 1
        return p[i - 1]
    }
}
