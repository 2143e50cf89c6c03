/// Recognises a heredoc marker used as a COPY/ADD argument (`<<EOF`, `<<-"EOF"`, `3<<'E'OF`).
struct HeredocWord: Sendable, Hashable {
    var name: String
    var expand: Bool
    var chomp: Bool

    /// Matches `^(\d*)<<(-?)\s*(rest)$` with a non-empty `rest` free of `<`, which must lex to one
    /// shell word; quotes are removed from the name and any quoting turns expansion off. Nil when
    /// the word is not a heredoc marker (or does not lex).
    static func parse(_ word: String) -> HeredocWord? {
        var rest = word.unicodeScalars[...]
        while let s = rest.first, ("0"..."9").contains(s) { rest = rest.dropFirst() }
        guard rest.starts(with: "<<".unicodeScalars) else { return nil }
        rest = rest.dropFirst(2)
        let chomp = rest.first == "-"
        if chomp { rest = rest.dropFirst() }
        while let s = rest.first, s == " " || s == "\t" || s == "\n" || s == "\r" || s == "\u{0B}" || s == "\u{0C}" {
            rest = rest.dropFirst()
        }
        guard !rest.isEmpty, !rest.contains("<") else { return nil }
        guard let (name, quoted) = unquoteSingleWord(rest) else { return nil }
        return HeredocWord(name: name, expand: !quoted, chomp: chomp)
    }

    /// Shell-style unquoting of one word with escape `\`: `'...'` literal, `"..."` where `\`
    /// escapes `"`, `$`, `` ` `` and `\`, and `\x` outside quotes. Nil when the text is several
    /// words, empty, or has an unterminated quote. `quoted` tells whether any quotes were removed.
    private static func unquoteSingleWord(_ text: Substring.UnicodeScalarView) -> (String, Bool)? {
        var out = String.UnicodeScalarView()
        var quoted = false
        var rest = text
        while let s = rest.first {
            rest = rest.dropFirst()
            switch s {
            case " ", "\t", "\n", "\r":
                return rest.allSatisfy({ [" ", "\t", "\n", "\r"].contains($0) }) && !out.isEmpty ? (String(out), quoted) : nil
            case "'":
                guard let close = rest.firstIndex(of: "'") else { return nil }
                out.append(contentsOf: rest[..<close])
                rest = rest[rest.index(after: close)...]
                quoted = true
            case "\"":
                guard let after = readDoubleQuoted(&rest, into: &out) else { return nil }
                rest = after
                quoted = true
            case "\\":
                if let next = rest.first {
                    out.append(next)
                    rest = rest.dropFirst()
                }
            default:
                out.append(s)
            }
        }
        return out.isEmpty && !quoted ? nil : (String(out), quoted)
    }

    private static func readDoubleQuoted(
        _ rest: inout Substring.UnicodeScalarView, into out: inout String.UnicodeScalarView
    ) -> Substring.UnicodeScalarView? {
        while let s = rest.first {
            rest = rest.dropFirst()
            if s == "\"" { return rest }
            if s == "\\", let next = rest.first, ["\"", "$", "`", "\\"].contains(next) {
                out.append(next)
                rest = rest.dropFirst()
                continue
            }
            out.append(s)
        }
        return nil
    }

    /// BuildKit's `ChompHeredocContent`: removes the leading tabs of every line.
    static func chomp(_ content: String) -> String {
        var out = String.UnicodeScalarView()
        var atLineStart = true
        for s in content.unicodeScalars {
            if atLineStart, s == "\t" { continue }
            atLineStart = s == "\n"
            out.append(s)
        }
        return String(out)
    }
}
