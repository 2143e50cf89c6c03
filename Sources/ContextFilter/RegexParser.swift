/// A parser for the subset of Go (RE2) regexp syntax that pattern compilation can produce.
///
/// The regexps built by ``Pattern/classify(_:)`` copy `[...]` classes and `\x` escapes from the
/// user's pattern, so this must agree with Go's parser on them. Supported, with Go's meaning
/// (flags as `regexp.Compile`: `.` does not match `\n`; negated classes do; `^`/`$` are text
/// anchors):
///
/// * literals, `.`, `^`, `$`, `(…)`, `|`, `*`, `+`, `?` (a trailing `?` on a quantifier makes it
///   non-greedy, which does not change whether a match exists);
/// * classes: `[^…]`, ranges, a leading `]` or a leading/trailing `-` as literals, `[:name:]`
///   and `[:^name:]` POSIX classes, escapes;
/// * escapes: ASCII punctuation, `\a \f \t \n \r \v`, octal `\0…` / `\1…` (with a second octal digit), `\xHH`,
///   `\x{H…}`, `\d \s \w \D \S \W`, and outside classes `\A` and `\z`.
///
/// Not supported, reported as errors (Go accepts them): `\p…`/`\P…` Unicode classes, `\b`, `\B`,
/// `\Q…\E`, `(?…)` groups and `{n,m}` (never produced: `{`, `}`, `(`, `)` from a pattern are
/// always escaped, and an unescaped `{` is taken literally). Errors Go also reports: reversed
/// ranges, unknown POSIX class names, unknown escapes, unbalanced groups, a missing `]`,
/// a repetition with nothing to repeat, and a nested repetition (`**`).
struct RegexParser {
    indirect enum Node {
        case empty
        case scalar(Unicode.Scalar)
        case anyNotNewline
        case charClass(CharClass)
        case beginText
        case endText
        case concat([Node])
        case alternate([Node])
        case star(Node)
        case plus(Node)
        case quest(Node)
    }

    struct SyntaxError: Error {
        var reason: String
    }

    private let s: [Unicode.Scalar]
    private var i = 0

    /// Parses a whole regexp.
    static func parse(_ source: String) -> Result<Node, SyntaxError> {
        var parser = RegexParser(s: Array(source.unicodeScalars))
        do throws(SyntaxError) {
            let node = try parser.parseAlternation()
            if parser.i < parser.s.count {
                throw SyntaxError(reason: "unexpected )")  // only a ')' stops the top level early
            }
            return .success(node)
        } catch {
            return .failure(error)
        }
    }

    private init(s: [Unicode.Scalar]) { self.s = s }

    private var atEnd: Bool { i >= s.count }
    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        i + offset < s.count ? s[i + offset] : nil
    }

    private mutating func parseAlternation() throws(SyntaxError) -> Node {
        var branches = [try parseConcatenation()]
        while peek() == "|" {
            i += 1
            branches.append(try parseConcatenation())
        }
        return branches.count == 1 ? branches[0] : .alternate(branches)
    }

    private mutating func parseConcatenation() throws(SyntaxError) -> Node {
        var items: [Node] = []
        while let c = peek(), c != "|", c != ")" {
            if c == "*" || c == "+" || c == "?" {
                guard let last = items.popLast() else {
                    throw SyntaxError(reason: "missing argument to repetition operator: \(c)")
                }
                i += 1
                if peek() == "?" { i += 1 }  // non-greedy: same language
                if let next = peek(), next == "*" || next == "+" || next == "?" {
                    throw SyntaxError(reason: "invalid nested repetition operator")
                }
                switch c {
                case "*": items.append(.star(last))
                case "+": items.append(.plus(last))
                default: items.append(.quest(last))
                }
                continue
            }
            items.append(try parseAtom())
        }
        switch items.count {
        case 0: return .empty
        case 1: return items[0]
        default: return .concat(items)
        }
    }

    private mutating func parseAtom() throws(SyntaxError) -> Node {
        let c = s[i]
        i += 1
        switch c {
        case "(":
            if peek() == "?" { throw SyntaxError(reason: "unsupported group syntax (?") }
            let inner = try parseAlternation()
            guard peek() == ")" else { throw SyntaxError(reason: "missing closing )") }
            i += 1
            return inner
        case "[":
            return .charClass(try parseClass())
        case ".":
            return .anyNotNewline
        case "^":
            return .beginText
        case "$":
            return .endText
        case "\\":
            switch try parseEscape(inClass: false) {
            case .scalar(let v): return .scalar(v)
            case .set(let set): return .charClass(set)
            case .beginText: return .beginText
            case .endText: return .endText
            }
        default:
            return .scalar(c)
        }
    }

    /// Parses a class body after `[`, up to and including its `]`.
    private mutating func parseClass() throws(SyntaxError) -> CharClass {
        var result = CharClass()
        if peek() == "^" {
            result.negated = true
            i += 1
        }
        var first = true
        while true {
            guard let c = peek() else { throw SyntaxError(reason: "missing closing ]") }
            if c == "]" && !first {
                i += 1
                return result
            }
            first = false
            if c == "[" && peek(1) == ":", let named = try parseNamedClass() {
                result.add(named)
                continue
            }
            let low: Unicode.Scalar
            switch try parseClassChar() {
            case .set(let set):
                result.add(set)
                continue
            case .scalar(let v):
                low = v
            case .beginText, .endText:
                throw SyntaxError(reason: "invalid escape in class")
            }
            if peek() == "-", let after = peek(1), after != "]" {
                i += 1
                guard case .scalar(let high) = try parseClassChar() else {
                    throw SyntaxError(reason: "invalid character class range")
                }
                guard low.value <= high.value else {
                    throw SyntaxError(reason: "invalid character class range \(low)-\(high)")
                }
                result.ranges.append(low.value...high.value)
            } else {
                result.ranges.append(low.value...low.value)
            }
        }
    }

    private mutating func parseClassChar() throws(SyntaxError) -> Escape {
        guard let c = peek() else { throw SyntaxError(reason: "missing closing ]") }
        i += 1
        if c == "\\" { return try parseEscape(inClass: true) }
        return .scalar(c)
    }

    /// `[:name:]` at `i` (Go looks for the first `:]` after `[:`). Returns nil (consuming nothing)
    /// when there is no `:]`, so the `[` is a literal.
    private mutating func parseNamedClass() throws(SyntaxError) -> CharClass? {
        var j = i + 2
        while j + 1 < s.count && !(s[j] == ":" && s[j + 1] == "]") { j += 1 }
        guard j + 1 < s.count else { return nil }
        var name = String(String.UnicodeScalarView(s[(i + 2)..<j]))
        var negated = false
        if name.hasPrefix("^") {
            negated = true
            name.removeFirst()
        }
        guard var set = CharClass.posix(name) else {
            throw SyntaxError(reason: "invalid character class range [:\(name):]")
        }
        i = j + 2
        if negated { set = set.inverted() }
        return set
    }

    enum Escape {
        case scalar(Unicode.Scalar)
        case set(CharClass)
        case beginText
        case endText
    }

    /// Parses what follows a `\`.
    private mutating func parseEscape(inClass: Bool) throws(SyntaxError) -> Escape {
        guard let c = peek() else { throw SyntaxError(reason: "trailing backslash at end of expression") }
        i += 1
        switch c {
        case "a": return .scalar("\u{07}")
        case "f": return .scalar("\u{0C}")
        case "t": return .scalar("\t")
        case "n": return .scalar("\n")
        case "r": return .scalar("\r")
        case "v": return .scalar("\u{0B}")
        case "d", "s", "w", "D", "S", "W":
            return .set(CharClass.perl(c)!)
        case "A" where !inClass: return .beginText
        case "z" where !inClass: return .endText
        case "x":
            return .scalar(try parseHexEscape())
        case "0"..."7":
            // Go: \1…\7 must be followed by another octal digit (else it is a backreference).
            if c != "0", !(peek().map { ("0"..."7").contains($0) } ?? false) {
                throw SyntaxError(reason: "invalid escape sequence \\\(c)")
            }
            var value = c.value - 0x30
            for _ in 0..<2 {
                guard let d = peek(), ("0"..."7").contains(d) else { break }
                value = value * 8 + (d.value - 0x30)
                i += 1
            }
            return .scalar(Unicode.Scalar(value)!)
        default:
            if c.isASCII && !(c.properties.isAlphabetic || ("0"..."9").contains(c)) {
                return .scalar(c)
            }
            throw SyntaxError(reason: "invalid escape sequence \\\(c)")
        }
    }

    /// `\xHH` or `\x{H…}` (at most U+10FFFF), after the `x`.
    private mutating func parseHexEscape() throws(SyntaxError) -> Unicode.Scalar {
        var digits: [Unicode.Scalar] = []
        if peek() == "{" {
            i += 1
            while let d = peek(), d != "}" {
                digits.append(d)
                i += 1
            }
            guard peek() == "}", !digits.isEmpty else { throw SyntaxError(reason: "invalid escape sequence \\x") }
            i += 1
        } else {
            for _ in 0..<2 {
                guard let d = peek() else { throw SyntaxError(reason: "invalid escape sequence \\x") }
                digits.append(d)
                i += 1
            }
        }
        guard digits.count <= 8,
              let value = UInt32(String(String.UnicodeScalarView(digits)), radix: 16),
              let scalar = Unicode.Scalar(value)
        else { throw SyntaxError(reason: "invalid escape sequence \\x") }
        return scalar
    }
}
