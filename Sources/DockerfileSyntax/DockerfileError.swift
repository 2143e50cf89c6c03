/// The one error type of the Dockerfile frontend: a parse or validation failure that points at
/// the Dockerfile. `message` is BuildKit's wording (tests compare it); `suggestion` is our
/// addition ("did you mean RUN?"), rendered after it.
public struct DockerfileError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var range: SourceRange?
    public var suggestion: String?

    public init(_ message: String, range: SourceRange? = nil, suggestion: String? = nil) {
        self.message = message
        self.range = range
        self.suggestion = suggestion
    }

    /// The message with the suggestion, without location: `unknown instruction: RUNN (did you mean RUN?)`.
    public var description: String {
        if let suggestion { return "\(message) (\(suggestion))" }
        return message
    }

    /// Returns a copy located at `range` unless it already has a location.
    public func located(at range: SourceRange) -> DockerfileError {
        var copy = self
        if copy.range == nil { copy.range = range }
        return copy
    }
}
