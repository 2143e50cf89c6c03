import DockerfileSyntax

/// One thing `kiln check` reports: a rule, where, what, and what to do instead.
public struct Finding: Sendable, Hashable {
    public var rule: String
    public var severity: Severity
    public var message: String
    public var range: SourceRange?
    /// Documentation or advice: how to fix it.
    public var help: String?

    public init(rule: String, severity: Severity = .warning, message: String, range: SourceRange?, help: String? = nil) {
        self.rule = rule
        self.severity = severity
        self.message = message
        self.range = range
        self.help = help
    }
}
