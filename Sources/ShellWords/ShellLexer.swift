/// Variables visible to an expansion. Names are case-sensitive (Linux).
public struct ShellEnvironment: Sendable, Hashable {
    public private(set) var values: [String: String]

    public init(_ values: [String: String] = [:]) {
        self.values = values
    }

    /// Builds an environment from `NAME=VALUE` entries, split at the first `=`; an entry without `=`
    /// sets NAME to the empty string. A later entry for the same name wins.
    public init(entries: [String]) {
        var values: [String: String] = [:]
        for entry in entries {
            if let eq = entry.firstIndex(of: "=") {
                values[String(entry[..<eq])] = String(entry[entry.index(after: eq)...])
            } else {
                values[entry] = ""
            }
        }
        self.values = values
    }

    public subscript(name: String) -> String? {
        get { values[name] }
        set { values[name] = newValue }
    }
}

/// An expansion failure (`syntax error: missing '}'`, `syntax error: bad substitution`,
/// `FOO: is not allowed to be unset`, ...). `message` uses BuildKit's wording for the cause;
/// `description` adds BuildKit's wrapper, `failed to process "WORD": MESSAGE`, when `word` is known.
public struct ExpansionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The cause, in BuildKit's wording.
    public var message: String
    /// The whole word whose expansion failed, if known.
    public var word: String?

    public init(_ message: String, word: String? = nil) {
        self.message = message
        self.word = word
    }

    /// The full text BuildKit reports, the word quoted the way Go's `%q` quotes it.
    public var description: String {
        guard let word else { return message }
        return "failed to process \(goQuoted(word)): \(message)"
    }
}

/// The result of expanding one word, with the variable names that were looked up.
public struct Expansion: Sendable, Equatable {
    /// The expanded string (what `processWord` returns).
    public var result: String
    /// Names that were looked up and found (set, possibly empty).
    public var matched: Set<String>
    /// Names that were looked up and not found (unset).
    public var unmatched: Set<String>

    public init(result: String, matched: Set<String> = [], unmatched: Set<String> = []) {
        self.result = result
        self.matched = matched
        self.unmatched = unmatched
    }
}

/// BuildKit's shell-word lexer (`frontend/dockerfile/shell`): `$VAR`, `${VAR…}` forms, quotes,
/// escapes and word splitting, with the escape token set by `# escape=`.
///
/// With every option false (the default) this is the mode BuildKit uses to expand instruction
/// arguments. The options reproduce BuildKit's other modes (used, for example, to detect heredocs):
/// - `rawQuotes`: quote characters are kept in the output (their contents are still processed).
/// - `rawEscapes`: escape tokens are kept in the output, together with the character they escape.
/// - `skipUnsetEnv`: a reference to an unset variable is left as written (`$X`, `${X}`,
///   `${X:-word}` with its word already expanded) instead of being expanded; `${X?}` does not fail.
///   Like BuildKit, `${X//p/r}` is written back with a single `/`.
/// - `skipProcessQuotes`: `'` and `"` are ordinary characters.
///
/// Guarantees: no input crashes, and work is roughly linear in the input length (pattern
/// operations are at most proportional to value length × pattern length). Nesting of
/// `${…}` modifier words deeper than `maxNestingDepth` is reported as an error rather than
/// exhausting the stack.
public struct ShellLexer: Sendable {
    /// The escape character (`\` by default, or `` ` ``). Only its first Unicode scalar is used.
    public var escapeToken: Character
    public var rawQuotes: Bool
    public var rawEscapes: Bool
    public var skipUnsetEnv: Bool
    public var skipProcessQuotes: Bool

    /// How many `${name<modifier>word}` words may nest inside each other.
    public static let maxNestingDepth = 100

    public init(
        escapeToken: Character = "\\",
        rawQuotes: Bool = false,
        rawEscapes: Bool = false,
        skipUnsetEnv: Bool = false,
        skipProcessQuotes: Bool = false
    ) {
        self.escapeToken = escapeToken
        self.rawQuotes = rawQuotes
        self.rawEscapes = rawEscapes
        self.skipUnsetEnv = skipUnsetEnv
        self.skipProcessQuotes = skipProcessQuotes
    }

    /// Expands `word` into one string (quotes removed, escapes applied, variables substituted).
    /// - Throws: `ExpansionError` for unterminated quotes or `${`, bad or unsupported
    ///   substitutions, invalid patterns, and `${X?msg}` / `${X:?msg}` failures.
    public func processWord(_ word: String, env: ShellEnvironment) throws(ExpansionError) -> String {
        try run(word, env: env).result
    }

    /// Like `processWord`, also reporting which variable names were looked up (found or not).
    /// Names inside modifier words are recorded even when the modifier's result is not used.
    public func processWordWithMatches(_ word: String, env: ShellEnvironment) throws(ExpansionError) -> Expansion {
        let outcome = try run(word, env: env)
        return Expansion(result: outcome.result, matched: outcome.matched, unmatched: outcome.unmatched)
    }

    /// Expands `word` and splits the result into words at Unicode whitespace. Whitespace that
    /// comes from quotes or escapes never splits; empty words are dropped.
    ///
    /// Like BuildKit, text collected in the current word before a `${name<modifier>…}`
    /// expansion is dropped from the word list (BuildKit shares one word buffer with the nested
    /// processing of the modifier word). `processWord` is not affected.
    /// - Throws: the same errors as `processWord`.
    public func processWords(_ word: String, env: ShellEnvironment) throws(ExpansionError) -> [String] {
        try run(word, env: env).words
    }

    private func run(_ word: String, env: ShellEnvironment) throws(ExpansionError) -> ShellWordScanner.Outcome {
        var scanner = ShellWordScanner(word, lexer: self, env: env)
        do {
            return try scanner.processAll()
        } catch {
            throw ExpansionError(error.message, word: word)
        }
    }
}
