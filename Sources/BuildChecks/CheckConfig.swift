/// Which rules run and whether findings fail the build: BuildKit's `# check=` directive,
/// e.g. `# check=skip=JSONArgsRecommended,StageNameCasing;error=true;experimental=all`.
/// The same settings apply to kiln's own rules.
public struct CheckConfig: Sendable, Hashable {
    public var skipAll = false
    public var skip: Set<String> = []
    public var experimentalAll = false
    public var experimental: Set<String> = []
    /// `error=true`: any finding fails the check.
    public var failOnFindings = false

    public init() {}

    /// Parses the directive's value (the text after `check=`). Keys are case-insensitive, rule
    /// names are case-sensitive; `;` separates options, `,` separates rule names.
    /// Throws for an unknown key or a non-boolean `error` value.
    public init(directive: String) throws(CheckConfigError) {
        for option in directive.split(separator: ";") {
            let trimmed = option.trimmingSpaces()
            if trimmed.isEmpty { continue }
            guard let eq = trimmed.firstIndex(of: "=") else {
                throw CheckConfigError("invalid check option \"\(trimmed)\": expected key=value")
            }
            let key = trimmed[..<eq].trimmingSpaces().lowercased()
            let value = trimmed[trimmed.index(after: eq)...].trimmingSpaces()
            switch key {
            case "skip":
                let names = Self.ruleList(value)
                if names.contains("all") { skipAll = true } else { skip.formUnion(names) }
            case "experimental":
                let names = Self.ruleList(value)
                if names.contains("all") { experimentalAll = true } else { experimental.formUnion(names) }
            case "error":
                guard let flag = Self.bool(value) else {
                    throw CheckConfigError("invalid check option error=\(value): expected true or false")
                }
                failOnFindings = flag
            default:
                throw CheckConfigError("invalid check option \"\(key)\"")
            }
        }
    }

    /// Whether `rule` runs under these settings.
    public func isEnabled(_ rule: RuleInfo) -> Bool {
        if skipAll || skip.contains(rule.name) { return false }
        if rule.experimental { return experimentalAll || experimental.contains(rule.name) }
        return true
    }

    private static func ruleList(_ value: String) -> Set<String> {
        Set(value.split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty })
    }

    private static func bool(_ value: String) -> Bool? {
        switch value.lowercased() {
        case "true", "1", "t": return true
        case "false", "0", "f": return false
        default: return nil
        }
    }
}

/// A malformed `# check=` directive.
public struct CheckConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s.removeLast() }
        return String(s)
    }
}
