import DockerfileSyntax

/// A build failure: a message, and where in the Dockerfile it happened when known.
public struct BuildError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// The instruction the failure belongs to.
    public var range: SourceRange?
    /// Output lines of a failed RUN (the last ones), shown after the message.
    public var details: [String]

    public init(_ message: String, range: SourceRange? = nil, details: [String] = []) {
        self.message = message
        self.range = range
        self.details = details
    }

    public var description: String { message }

    /// Renders `file:line:col: error: message` with the source line, then the details.
    public func render(file: String, source: String) -> String {
        var text = DiagnosticRenderer.render(file: file, source: source, range: range, severity: .error, message: message)
        for line in details { text += "\n" + line }
        return text
    }

    static func at(_ range: SourceRange, _ message: String) -> BuildError {
        BuildError(message, range: range)
    }
}
