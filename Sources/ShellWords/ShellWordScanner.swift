/// One expansion in progress: a cursor over the word's Unicode scalars plus the state BuildKit
/// keeps per word (looked-up names, the shared word buffer, the current escape mode).
///
/// Every method that consumes input advances the cursor by at least one scalar per loop
/// iteration, so processing always terminates.
struct ShellWordScanner {
    struct Outcome {
        var result: String
        var words: [String]
        var matched: Set<String>
        var unmatched: Set<String>
    }

    let scalars: [Unicode.Scalar]
    var position = 0
    let escape: Unicode.Scalar
    let options: ShellLexer
    let env: ShellEnvironment

    /// Whether escapes are currently kept raw (true while reading `#`, `%` and `/` patterns).
    var rawEscapes: Bool
    /// How many modifier words are being processed inside each other.
    var depth = 0
    var matched: Set<String> = []
    var unmatched: Set<String> = []
    /// The current word of `processWords`, shared by every nesting level (as in BuildKit).
    var wordBuffer = String.UnicodeScalarView()

    init(_ word: String, lexer: ShellLexer, env: ShellEnvironment) {
        var scalars = Array(word.unicodeScalars)
        // Go's text/scanner, which BuildKit reads words with, skips a leading byte-order mark.
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        self.scalars = scalars
        self.escape = lexer.escapeToken.unicodeScalars.first ?? "\\"
        self.options = lexer
        self.env = env
        self.rawEscapes = lexer.rawEscapes
    }

    // MARK: Cursor

    var atEnd: Bool { position >= scalars.count }

    func peek() -> Unicode.Scalar? {
        position < scalars.count ? scalars[position] : nil
    }

    /// Returns the current scalar and advances past it; nil (without moving) at the end.
    mutating func next() -> Unicode.Scalar? {
        guard position < scalars.count else { return nil }
        defer { position += 1 }
        return scalars[position]
    }

    // MARK: Words

    mutating func processAll() throws(ExpansionError) -> Outcome {
        let (result, words) = try process(until: nil, rawEscapes: rawEscapes)
        return Outcome(result: result, words: words, matched: matched, unmatched: unmatched)
    }

    /// Processes input up to (and consuming) `stop`, or to the end of input when `stop` is nil.
    /// Returns the expanded text and its split words.
    /// - Throws: `unexpected end of statement while looking for matching X` when `stop` is not
    ///   found, or any error of a quote or `$` expansion inside.
    mutating func process(
        until stop: Unicode.Scalar?, rawEscapes raw: Bool
    ) throws(ExpansionError) -> (String, [String]) {
        let savedRaw = rawEscapes
        rawEscapes = raw
        defer { rawEscapes = savedRaw }
        wordBuffer.removeAll(keepingCapacity: true)

        var result = String.UnicodeScalarView()
        var words = WordList()
        while let ch = peek() {
            if let stop, ch == stop {
                position += 1
                return (String(result), finishWords(&words))
            }
            switch ch {
            case "$":
                let value = try processDollar()
                result.append(contentsOf: value.unicodeScalars)
                addSplitting(value, to: &words)
            case "'" where !options.skipProcessQuotes:
                let value = try processSingleQuote()
                result.append(contentsOf: value.unicodeScalars)
                addRaw(value, to: &words)
            case "\"" where !options.skipProcessQuotes:
                let value = try processDoubleQuote()
                result.append(contentsOf: value.unicodeScalars)
                addRaw(value, to: &words)
            default:
                position += 1
                guard ch == escape else {
                    addSplitting(ch, to: &words)
                    result.append(ch)
                    continue
                }
                if rawEscapes {
                    addRaw(ch, to: &words)
                    result.append(ch)
                }
                // An escape at the very end is dropped.
                guard let escaped = next() else { continue }
                addRaw(escaped, to: &words)
                result.append(escaped)
            }
        }
        if let stop {
            throw ExpansionError("unexpected end of statement while looking for matching \(Character(stop))")
        }
        return (String(result), finishWords(&words))
    }

    // MARK: Quotes

    /// Reads `'…'` (cursor on the opening quote): everything up to the next `'` is literal.
    /// - Throws: when the closing quote is missing.
    mutating func processSingleQuote() throws(ExpansionError) -> String {
        position += 1
        var result = String.UnicodeScalarView()
        if options.rawQuotes { result.append("'") }
        while let ch = next() {
            if ch == "'" {
                if options.rawQuotes { result.append(ch) }
                return String(result)
            }
            result.append(ch)
        }
        throw ExpansionError("unexpected end of statement while looking for matching single-quote")
    }

    /// Reads `"…"` (cursor on the opening quote): `$` expands; the escape token escapes only `"`,
    /// `$` and itself and is otherwise literal. With raw escapes an escape token is kept and, when
    /// it escapes nothing, appears twice (BuildKit's behaviour).
    /// - Throws: when the closing quote is missing, or a `$` expansion inside fails.
    mutating func processDoubleQuote() throws(ExpansionError) -> String {
        position += 1
        var result = String.UnicodeScalarView()
        if options.rawQuotes { result.append("\"") }
        while let ch = peek() {
            switch ch {
            case "\"":
                position += 1
                if options.rawQuotes { result.append(ch) }
                return String(result)
            case "$":
                result.append(contentsOf: try processDollar().unicodeScalars)
            default:
                position += 1
                var literal = ch
                if ch == escape {
                    if rawEscapes { result.append(ch) }
                    guard let following = peek() else { continue }
                    if following == "\"" || following == "$" || following == escape {
                        position += 1
                        literal = following
                    }
                }
                result.append(literal)
            }
        }
        throw ExpansionError("unexpected end of statement while looking for matching double-quote")
    }
}
