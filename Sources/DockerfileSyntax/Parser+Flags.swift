extension DockerfileParser {
    /// Reads the `--flags` at the start of `bytes[range]`, **byte by byte** as BuildKit does:
    ///
    /// * words are separated by unquoted bytes that are whitespace as Latin-1 (so the UTF-8
    ///   continuation bytes 0x85 and 0xA0 end a word);
    /// * `'` and `"` quote up to the same quote character and are dropped;
    /// * the escape token is dropped and the next byte taken literally (inside quotes too);
    /// * every byte >= 0x80 is stored re-encoded as a Latin-1 character (`é` -> `Ã©`);
    /// * a word not starting with `--` ends the flags; a word that is exactly `--` ends them
    ///   and is discarded.
    ///
    /// Returns the flags and the index where the arguments start (not yet trimmed).
    static func extractFlags(_ bytes: [UInt8], _ range: Range<Int>, escape: UInt8) -> (flags: [String], argsStart: Int) {
        var flags: [String] = []
        var i = range.lowerBound
        let end = range.upperBound
        while true {
            while i < end, GoText.isByteSpace(bytes[i]) { i += 1 }
            guard i + 1 < end, bytes[i] == UInt8(ascii: "-"), bytes[i + 1] == UInt8(ascii: "-") else {
                return (flags, min(i, end))
            }
            var word: [UInt8] = []
            var quote: UInt8? = nil
            while i < end {
                let c = bytes[i]
                if quote == nil, GoText.isByteSpace(c) { break }
                i += 1
                if c == escape {
                    if i < end {
                        GoText.appendLatin1(bytes[i], into: &word)
                        i += 1
                    }
                } else if let q = quote {
                    if c == q { quote = nil } else { GoText.appendLatin1(c, into: &word) }
                } else if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") {
                    quote = c
                } else {
                    GoText.appendLatin1(c, into: &word)
                }
            }
            if word == [0x2D, 0x2D] { return (flags, i) }
            flags.append(GoText.string(word))
        }
    }
}
