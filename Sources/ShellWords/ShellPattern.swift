/// A shell glob as used by `${v#p}`, `${v%p}` and `${v/p/r}`: `*` matches any run, `?` any one
/// scalar, everything else itself. There are no bracket expressions. As in BuildKit (where the
/// glob becomes a Go regular expression without the `s` flag), `*` and `?` never match a newline.
///
/// The pattern text keeps its escapes raw. The escape is always `\` (whatever the lexer's escape
/// token): `\*`, `\?` and `\\` stand for the character itself, `\}` and `\/` for `}` and `/`, and
/// any other escape is invalid.
struct ShellPattern: Sendable, Equatable {
    enum Token: Sendable, Equatable {
        case anyRun
        case anyOne
        case literal(Unicode.Scalar)
    }

    var tokens: [Token]

    /// Parses pattern text.
    /// - Throws: `invalid escape '\X'` for an escape of anything but `* ? \ } /`, or a trailing `\`.
    init(parsing text: String) throws(ExpansionError) {
        var scalars = Array(text.unicodeScalars)
        // BuildKit reads the pattern with Go's text/scanner, which skips a leading byte-order mark.
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        var tokens: [Token] = []
        var index = 0
        while index < scalars.count {
            let ch = scalars[index]
            index += 1
            switch ch {
            case "*": tokens.append(.anyRun)
            case "?": tokens.append(.anyOne)
            case "\\":
                let escaped = index < scalars.count ? scalars[index] : nil
                if escaped == "}" || escaped == "/" { continue }
                guard let escaped, escaped == "*" || escaped == "?" || escaped == "\\" else {
                    let shown = escaped.map { String(Character($0)) } ?? ""
                    throw ExpansionError("invalid escape '\\\(shown)'")
                }
                index += 1
                tokens.append(.literal(escaped))
            default:
                tokens.append(.literal(ch))
            }
        }
        self.tokens = tokens
    }

    /// The Go regular expression BuildKit compiles for this pattern (for diagnostics and tests).
    func regexSource(longest: Bool, anchored: Bool) -> String {
        var out = anchored ? "^" : ""
        for token in tokens {
            switch token {
            case .anyRun: out += longest ? ".*" : ".*?"
            case .anyOne: out += "."
            case .literal(let ch):
                if "[]{}.+()|^$*?\\".unicodeScalars.contains(ch) { out += "\\" }
                out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// Reverses pattern text while keeping each `\X` pair in order (`a\*c` becomes `c\*a`).
    /// A trailing lone `\` is treated as one character.
    static func reversePattern(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var units: [ArraySlice<Unicode.Scalar>] = []
        var index = 0
        while index < scalars.count {
            let length = scalars[index] == "\\" && index + 1 < scalars.count ? 2 : 1
            units.append(scalars[index..<index + length])
            index += length
        }
        var out = String.UnicodeScalarView()
        for unit in units.reversed() { out.append(contentsOf: unit) }
        return String(out)
    }

    /// Reverses a string scalar by scalar.
    static func reverseString(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.reversed()))
    }
}
