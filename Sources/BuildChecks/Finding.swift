import DockerfileSyntax

/// One thing `kiln check` reports: a rule, where, what, and what to do instead.
public struct Finding: Sendable, Hashable {
    public var rule: String
    public var severity: Severity
    public var message: String
    public var range: SourceRange?
    /// Advice: what to do instead.
    public var help: String?
    /// The rule's documentation page, when it has one.
    public var url: String?

    public init(
        rule: String, severity: Severity = .warning, message: String, range: SourceRange?,
        help: String? = nil, url: String? = nil
    ) {
        self.rule = rule
        self.severity = severity
        self.message = message
        self.range = range
        self.help = help
        self.url = url
    }

    /// Source order: by start location (findings without a location first), then rule name and message.
    public static func sourceOrder(_ a: Finding, _ b: Finding) -> Bool {
        let la = a.range?.start ?? SourceLocation(line: 0, column: 0)
        let lb = b.range?.start ?? SourceLocation(line: 0, column: 0)
        if la != lb { return la < lb }
        if a.rule != b.rule { return a.rule < b.rule }
        return a.message < b.message
    }
}
