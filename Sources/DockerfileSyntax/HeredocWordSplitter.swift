/// A small shell-word splitter used **only** for heredoc detection. It is not the full
/// `ShellWords` lexer: `$` is always literal (no expansion, `$vars` stay as written), and only
/// quotes, the `\` escape and whitespace are understood. The escape token is always `\`,
/// whatever `# escape=` says.
///
/// * `.raw` keeps quotes and escapes in the words (the first pass over a whole line). Outside
///   quotes, `<<`, an optional `-` and any following spaces, tabs or CRs stay glued to the next
///   word, so `<<  EOF` is one word.
/// * `.cooked` removes quotes and processes escapes (the second pass over a delimiter). Inside
///   double quotes only `\"`, `\\` and `\$` are escapes.
///
/// Words are separated by unquoted Unicode whitespace. An unterminated quote is an error.
struct HeredocWordSplitter: Sendable {
    enum Mode: Sendable { case raw, cooked }

    struct UnterminatedQuote: Error {
        var quote: UInt8
        var message: String {
            let kind = quote == UInt8(ascii: "'") ? "single" : "double"
            return "unexpected end of statement while looking for matching \(kind)-quote"
        }
    }

    var mode: Mode

    func split(_ bytes: [UInt8], _ range: Range<Int>) throws(UnterminatedQuote) -> [[UInt8]] {
        var words: [[UInt8]] = []
        var word: [UInt8] = []
        var inWord = false
        var i = range.lowerBound
        let end = range.upperBound
        let raw = mode == .raw
        while i < end {
            let c = bytes[i]
            if c >= 0x80 || GoText.isSpace(UInt32(c)) {
                let d = GoText.decode(bytes, at: i, end: end)
                if d.valid, GoText.isSpace(d.rune) {
                    if inWord { words.append(word) }
                    word = []
                    inWord = false
                } else {
                    word.append(contentsOf: bytes[i..<(i + d.width)])
                    inWord = true
                }
                i += d.width
                continue
            }
            inWord = true
            switch c {
            case UInt8(ascii: "\\"):
                if raw { word.append(c) }
                if i + 1 < end { word.append(bytes[i + 1]) }
                i += 2
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                i = try readQuoted(bytes, from: i, end: end, into: &word)
            case UInt8(ascii: "<") where raw && i + 1 < end && bytes[i + 1] == UInt8(ascii: "<"):
                word += [c, c]
                i += 2
                if i < end, bytes[i] == UInt8(ascii: "-") { word.append(bytes[i]); i += 1 }
                while i < end, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0D {
                    word.append(bytes[i])
                    i += 1
                }
            default:
                word.append(c)
                i += 1
            }
        }
        if inWord { words.append(word) }
        return words
    }

    /// Reads a quoted part starting at the quote at `start`; returns the index after it.
    private func readQuoted(_ bytes: [UInt8], from start: Int, end: Int, into word: inout [UInt8]) throws(UnterminatedQuote) -> Int {
        let quote = bytes[start]
        let raw = mode == .raw
        if raw { word.append(quote) }
        var i = start + 1
        while i < end {
            let c = bytes[i]
            if c == quote {
                if raw { word.append(c) }
                return i + 1
            }
            if c == UInt8(ascii: "\\"), quote == UInt8(ascii: "\""), i + 1 < end {
                let next = bytes[i + 1]
                let escapes = next == quote || next == UInt8(ascii: "\\") || next == UInt8(ascii: "$")
                if raw || !escapes { word.append(c) }
                word.append(next)
                i += 2
                continue
            }
            word.append(c)
            i += 1
        }
        throw UnterminatedQuote(quote: quote)
    }
}
