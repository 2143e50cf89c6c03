extension DockerfileParser {
    /// The ENV / LABEL / ARG word splitter (BuildKit's `parseWords`), rune by rune:
    ///
    /// * words are separated by unquoted Unicode whitespace;
    /// * `'` or `"` quote up to the matching quote; quote characters stay in the word;
    /// * the escape token and the character after it both stay in the word (that character
    ///   cannot open or close a quote); inside `'…'` the escape token is an ordinary character;
    /// * an escape token as the very last character is dropped;
    /// * invalid UTF-8 bytes are written as U+FFFD.
    static func splitWords(_ bytes: [UInt8], _ range: Range<Int>, escape: UInt8) -> [[UInt8]] {
        var words: [[UInt8]] = []
        var word: [UInt8] = []
        var inWord = false
        var quote: UInt32? = nil
        var i = range.lowerBound
        let end = range.upperBound
        let escapeRune = UInt32(escape)
        while i < end {
            let d = GoText.decode(bytes, at: i, end: end)
            if quote == nil, GoText.isSpace(d.rune), d.valid {
                if inWord, !word.isEmpty { words.append(word) }
                word = []
                inWord = false
                i += d.width
                continue
            }
            inWord = true
            if d.rune == escapeRune, quote != UInt32(UInt8(ascii: "'")) {
                i += d.width
                guard i < end else { break }
                word.append(escape)
                let next = GoText.decode(bytes, at: i, end: end)
                GoText.appendRune(next, from: bytes, at: i, into: &word)
                i += next.width
                continue
            }
            if let q = quote {
                if d.rune == q { quote = nil }
            } else if d.rune == 0x27 || d.rune == 0x22 {
                quote = d.rune
            }
            GoText.appendRune(d, from: bytes, at: i, into: &word)
            i += d.width
        }
        if !word.isEmpty { words.append(word) }
        return words
    }

    /// `splitWords` on a string with the default escape token (for tests and tools).
    public static func splitWords(_ text: String, escape: Character = "\\") -> [String] {
        let bytes = Array(text.utf8)
        return splitWords(bytes, 0..<bytes.count, escape: escape.asciiValue ?? 0x5C).map { GoText.string($0) }
    }
}
