/// How a `--flag` takes its value (BuildKit `bflag.go`).
enum FlagKind: Sendable {
    /// `--link`, `--link=true`, `--link=false` (value case-insensitive). Not repeatable.
    case bool
    /// `--from=x`; the value may be empty but the `=` is required. Not repeatable.
    case string
    /// Like `string`, but repeatable (`--mount`, `--exclude`, `--device`); values accumulate.
    case strings
}

/// The flags of one instruction after validation. Names are stored without the leading `--`.
public struct ParsedFlags: Sendable, Hashable {
    /// Flag names in order of first use (BuildKit's `FlagsUsed`).
    public private(set) var used: [String] = []
    private var values: [String: [String]] = [:]

    public init() {}

    /// The value of a string flag, nil when the flag was not given.
    public func string(_ name: String) -> String? { values[name]?.last }

    /// The value of a boolean flag, nil when the flag was not given.
    public func bool(_ name: String) -> Bool? { values[name].map { $0.last == "true" } }

    /// Every value of a repeatable flag, in order; empty when not given.
    public func strings(_ name: String) -> [String] { values[name] ?? [] }

    public func contains(_ name: String) -> Bool { values[name] != nil }

    mutating func record(_ name: String, _ value: String) {
        if values[name] == nil { used.append(name) }
        values[name, default: []].append(value)
    }
}

/// BuildKit's flag rules, applied to the flag words the parser produced (quotes already removed).
enum FlagParser {
    /// Validates `node.flags` against `accepted`. Flags must be written `--name` or `--name=value`;
    /// a bare `--` ends them. Errors carry BuildKit's wording and point at the offending flag.
    static func parse(_ node: Node, accepting accepted: [String: FlagKind]) throws(DockerfileError) -> ParsedFlags {
        var parsed = ParsedFlags()
        for word in node.flags {
            guard word.hasPrefix("--") else {
                throw DockerfileError("arg should start with -- : \(word)", range: node.range)
            }
            if word == "--" { break }
            let body = word.dropFirst(2)
            let name: String
            let value: String?
            if let eq = body.firstIndex(of: "=") {
                name = String(body[..<eq])
                value = String(body[body.index(after: eq)...])
            } else {
                name = String(body)
                value = nil
            }
            let at = FlagLocator.range(of: "--" + name, in: node)
            guard let kind = accepted[name] else {
                let hint = Suggestion.buildKit(name, in: accepted.keys.sorted(), caseSensitive: true)
                throw DockerfileError("unknown flag: --\(name)", range: at, suggestion: hint.map { "did you mean --\($0)?" })
            }
            if parsed.contains(name), kind != .strings {
                throw DockerfileError("duplicate flag specified: --\(name)", range: at)
            }
            parsed.record(name, try flagValue(name: name, value: value, kind: kind, at: at))
        }
        return parsed
    }

    private static func flagValue(name: String, value: String?, kind: FlagKind, at: SourceRange) throws(DockerfileError) -> String {
        switch kind {
        case .bool:
            guard let value else { return "true" }
            switch value.lowercased() {
            case "": throw DockerfileError("missing a value on flag: --\(name)", range: at)
            case "true": return "true"
            case "false": return "false"
            default: throw DockerfileError("expecting boolean value for flag --\(name), not: \(value)", range: at)
            }
        case .string, .strings:
            guard let value else { throw DockerfileError("missing a value on flag: --\(name)", range: at) }
            return value
        }
    }
}

/// Finds where a piece of an instruction was written, for precise error locations.
enum FlagLocator {
    /// The range of the first occurrence of `text` in the node's original line, when the line was
    /// written on one physical line (so columns are meaningful); otherwise the node's range.
    static func range(of text: String, in node: Node) -> SourceRange {
        guard isSinglePhysicalLine(node),
              let found = node.original.firstRange(of: text) else { return node.range }
        let offset = node.original.unicodeScalars.distance(
            from: node.original.unicodeScalars.startIndex, to: found.lowerBound)
        let start = node.range.start.column + offset
        let line = node.range.start.line
        return SourceRange(
            start: SourceLocation(line: line, column: start),
            end: SourceLocation(line: line, column: start + text.unicodeScalars.count - 1))
    }

    /// True when the instruction line had no continuation (heredoc bodies are accounted for).
    private static func isSinglePhysicalLine(_ node: Node) -> Bool {
        var heredocLines = 0
        for heredoc in node.heredocs {
            heredocLines += heredoc.content.filter { $0 == "\n" || $0 == "\r\n" }.count + 1
        }
        return node.range.end.line - node.range.start.line == heredocLines
    }
}
