/// `$name` and `${name…}` expansion.
extension ShellWordScanner {
    /// Expands the `$` form at the cursor. A `$` not followed by a name or `{` is literal.
    /// - Throws: `syntax error: missing '}'`, `syntax error: bad substitution`,
    ///   `unsupported modifier (X) in substitution`, `NAME: message` for `?` modifiers,
    ///   pattern errors, and errors from the modifier word.
    mutating func processDollar() throws(ExpansionError) -> String {
        position += 1
        guard peek() == "{" else {
            let name = readName()
            if name.isEmpty { return "$" }
            if let value = lookup(name) { return value }
            return options.skipUnsetEnv ? "$" + name : ""
        }
        position += 1
        switch peek() {
        case nil:
            throw ExpansionError("syntax error: missing '}'")
        case "{", "}", ":":
            throw ExpansionError("syntax error: bad substitution")
        default:
            break
        }
        let name = readName()
        // BuildKit reports a word ending right after the name as an unsupported modifier "\u{FFFD}";
        // this says what is wrong instead.
        guard let op = next() else { throw ExpansionError("syntax error: missing '}'") }
        switch op {
        case "}":
            if let value = lookup(name) { return value }
            return options.skipUnsetEnv ? "${\(name)}" : ""
        case ":":
            guard let second = next() else { throw ExpansionError("syntax error: missing '}'") }
            return try expandModifier(name: name, op: second, nullIsUnset: true)
        case "+", "-", "?", "#", "%":
            return try expandModifier(name: name, op: op, nullIsUnset: false)
        case "/":
            return try expandReplacement(name: name)
        default:
            throw ExpansionError("unsupported modifier (\(Character(op))) in substitution")
        }
    }

    /// Reads a variable name at the cursor: a run of digits, one special parameter
    /// (`@ * # ? - $ ! 0`), or letters, digits and `_`. May be empty.
    mutating func readName() -> String {
        var name = String.UnicodeScalarView()
        if let first = peek(), first.isShellDigit {
            while let ch = peek(), ch.isShellDigit {
                name.append(ch)
                position += 1
            }
            return String(name)
        }
        if let first = peek(), "@*#?-$!0".unicodeScalars.contains(first) {
            position += 1
            return String(first)
        }
        while let ch = peek(), ch.isShellLetter || ch.isShellDigit || ch == "_" {
            name.append(ch)
            position += 1
        }
        return String(name)
    }

    /// Looks `name` up and records it as matched or unmatched.
    mutating func lookup(_ name: String) -> String? {
        if let value = env[name] {
            matched.insert(name)
            return value
        }
        unmatched.insert(name)
        return nil
    }

    /// Processes a nested word up to `stop` (consumed). Errors met at the end of input become
    /// `missingMessage`; a nesting deeper than `ShellLexer.maxNestingDepth` is an error.
    mutating func nestedWord(
        until stop: Unicode.Scalar, rawEscapes raw: Bool, missingMessage: String
    ) throws(ExpansionError) -> String {
        guard depth < ShellLexer.maxNestingDepth else {
            throw ExpansionError("syntax error: substitutions nested too deeply")
        }
        depth += 1
        defer { depth -= 1 }
        do {
            return try process(until: stop, rawEscapes: raw).0
        } catch {
            throw atEnd ? ExpansionError(missingMessage) : error
        }
    }

    /// `${name<op>word}` and `${name:<op>word}` (cursor after `op`). The word is processed
    /// before the variable is looked up.
    mutating func expandModifier(
        name: String, op: Unicode.Scalar, nullIsUnset: Bool
    ) throws(ExpansionError) -> String {
        let spelled = (nullIsUnset ? ":" : "") + String(Character(op))
        let isPattern = op == "#" || op == "%"
        if nullIsUnset && isPattern {
            throw ExpansionError("unsupported modifier (\(spelled)) in substitution")
        }
        var word = try nestedWord(until: "}", rawEscapes: isPattern, missingMessage: "syntax error: missing '}'")
        let value = lookup(name)
        if options.skipUnsetEnv && value == nil {
            return "${\(name)\(spelled)\(word)}"
        }
        let isNull = value == nil || (nullIsUnset && value == "")
        switch op {
        case "-":
            return isNull ? word : value ?? ""
        case "+":
            return isNull ? "" : word
        case "?":
            guard let value else {
                throw ExpansionError("\(name): \(word.isEmpty ? "is not allowed to be unset" : word)")
            }
            if isNull {
                throw ExpansionError("\(name): \(word.isEmpty ? "is not allowed to be empty" : word)")
            }
            return value
        case "#", "%":
            let longest = word.unicodeScalars.first == op
            if longest { word.unicodeScalars.removeFirst() }
            return op == "#"
                ? try ShellPattern.trimPrefix(word, from: value ?? "", longest: longest)
                : try ShellPattern.trimSuffix(word, from: value ?? "", longest: longest)
        default:
            throw ExpansionError("unsupported modifier (\(spelled)) in substitution")
        }
    }

    /// `${name/pattern/replacement}` and `${name//pattern/replacement}` (cursor after the first `/`).
    mutating func expandReplacement(name: String) throws(ExpansionError) -> String {
        let all = peek() == "/"
        if all { position += 1 }
        let pattern = try nestedWord(until: "/", rawEscapes: true, missingMessage: "syntax error: missing '/' in ${}")
        let replacement = try nestedWord(until: "}", rawEscapes: true, missingMessage: "syntax error: missing '}'")
        let value = lookup(name)
        if options.skipUnsetEnv && value == nil {
            return "${\(name)/\(pattern)/\(replacement)}"
        }
        return try ShellPattern.replace(pattern, in: value ?? "", with: replacement, all: all)
    }
}

extension Unicode.Scalar {
    /// A decimal digit in any script (Unicode category Nd), as Go's `unicode.IsDigit`.
    var isShellDigit: Bool {
        properties.generalCategory == .decimalNumber
    }

    /// A letter in any script (Unicode category L), as Go's `unicode.IsLetter`.
    var isShellLetter: Bool {
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return true
        default:
            return false
        }
    }
}
