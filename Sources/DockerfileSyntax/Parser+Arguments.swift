/// The arguments of one instruction as the parser splits them for its keyword.
struct ParsedArguments: Sendable {
    var args: [[UInt8]] = []
    var isJSON = false
    /// The ONBUILD trigger.
    var nested: Node?
}

extension DockerfileParser {
    /// Splits the trimmed argument text `bytes[range]` according to `keyword` (lower-cased).
    /// See the keyword table in shared/vectors/parser/FORMAT.md.
    static func parseArguments(
        keyword: String, _ bytes: [UInt8], _ range: Range<Int>, context: InstructionContext
    ) throws(DockerfileError) -> ParsedArguments {
        switch keyword {
        case "run", "cmd", "entrypoint", "shell":
            return try maybeJSON(bytes, range, context: context)
        case "add", "copy", "volume":
            return try maybeJSONList(bytes, range, context: context)
        case "from", "expose":
            return ParsedArguments(args: splitBlanks(bytes, range))
        case "user", "workdir", "maintainer", "stopsignal":
            return ParsedArguments(args: range.isEmpty ? [] : [Array(bytes[range])])
        case "arg":
            return ParsedArguments(args: splitWords(bytes, range, escape: context.escape))
        case "env", "label":
            return try keyValuePairs(keyword: keyword, bytes, range, context: context)
        case "healthcheck":
            return try healthcheck(bytes, range, context: context)
        case "onbuild":
            guard !range.isEmpty else { return ParsedArguments() }
            let trigger = try parseInstruction(bytes, range, context: context.nested)
            return ParsedArguments(nested: trigger)
        default:
            return ParsedArguments(args: [[]])
        }
    }

    /// RUN/CMD/ENTRYPOINT/SHELL: a JSON array of strings, else the whole text as one argument.
    static func maybeJSON(_ bytes: [UInt8], _ range: Range<Int>, context: InstructionContext) throws(DockerfileError) -> ParsedArguments {
        guard !range.isEmpty else { return ParsedArguments() }
        if let strings = try jsonStrings(bytes, range, context: context) {
            return ParsedArguments(args: strings, isJSON: true)
        }
        return ParsedArguments(args: [Array(bytes[range])])
    }

    /// ADD/COPY/VOLUME: a JSON array of strings, else the text split on blanks.
    static func maybeJSONList(_ bytes: [UInt8], _ range: Range<Int>, context: InstructionContext) throws(DockerfileError) -> ParsedArguments {
        guard !range.isEmpty else { return ParsedArguments() }
        if let strings = try jsonStrings(bytes, range, context: context) {
            return ParsedArguments(args: strings, isJSON: true)
        }
        return ParsedArguments(args: splitBlanks(bytes, range))
    }

    /// The decoded strings if the text is a JSON array of strings, nil if it is not JSON.
    /// Throws if it is a JSON array with a non-string element.
    static func jsonStrings(_ bytes: [UInt8], _ range: Range<Int>, context: InstructionContext) throws(DockerfileError) -> [[UInt8]]? {
        switch JSONArgs.parse(bytes, range) {
        case .strings(let strings):
            return strings
        case .notStringArray:
            throw DockerfileError(
                "when using JSON array syntax, arrays must be comprised of strings only", range: context.range)
        case .invalid:
            return nil
        }
    }

    /// Splits on runs of `[ \t\v\f\r]`; empty text gives no words.
    static func splitBlanks(_ bytes: [UInt8], _ range: Range<Int>) -> [[UInt8]] {
        var words: [[UInt8]] = []
        var i = range.lowerBound
        while i < range.upperBound {
            while i < range.upperBound, GoText.isBlank(bytes[i]) { i += 1 }
            let start = i
            while i < range.upperBound, !GoText.isBlank(bytes[i]) { i += 1 }
            if i > start { words.append(Array(bytes[start..<i])) }
        }
        return words
    }

    /// ENV/LABEL: `key value` (legacy, one pair) or `k=v k2=v2` as (key, value, "=") triples.
    static func keyValuePairs(
        keyword: String, _ bytes: [UInt8], _ range: Range<Int>, context: InstructionContext
    ) throws(DockerfileError) -> ParsedArguments {
        let words = splitWords(bytes, range, escape: context.escape)
        guard let first = words.first else { return ParsedArguments() }
        let equals = UInt8(ascii: "=")
        if !first.contains(equals) {
            var i = range.lowerBound
            while i < range.upperBound, !GoText.isBlank(bytes[i]) { i += 1 }
            let key = Array(bytes[range.lowerBound..<i])
            while i < range.upperBound, GoText.isBlank(bytes[i]) { i += 1 }
            guard i < range.upperBound else {
                throw DockerfileError("\(keyword.uppercased()) must have two arguments", range: context.range)
            }
            return ParsedArguments(args: [key, Array(bytes[i..<range.upperBound]), []])
        }
        var args: [[UInt8]] = []
        args.reserveCapacity(words.count * 3)
        for word in words {
            guard let cut = word.firstIndex(of: equals) else {
                let quoted = GoText.string(GoQuote.quote(word))
                throw DockerfileError(
                    "Syntax error - can't find = in \(quoted). Must be of the form: name=value", range: context.range)
            }
            args.append(Array(word[..<cut]))
            args.append(Array(word[(cut + 1)...]))
            args.append([equals])
        }
        return ParsedArguments(args: args)
    }

    /// HEALTHCHECK: the first word (up to a whitespace byte) is the type, the rest is maybe-JSON.
    static func healthcheck(_ bytes: [UInt8], _ range: Range<Int>, context: InstructionContext) throws(DockerfileError) -> ParsedArguments {
        guard !range.isEmpty else { return ParsedArguments() }
        var i = range.lowerBound
        while i < range.upperBound, !GoText.isByteSpace(bytes[i]) { i += 1 }
        let type = Array(bytes[range.lowerBound..<i])
        while i < range.upperBound, GoText.isByteSpace(bytes[i]) { i += 1 }
        var result = try maybeJSON(bytes, i..<range.upperBound, context: context)
        result.args.insert(type, at: 0)
        return result
    }
}
