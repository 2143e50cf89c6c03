/// A compiled list of .dockerignore patterns with BuildKit's (moby/patternmatcher) semantics.
public struct PatternMatcher: Sendable {
    public init(_ patterns: [String]) throws(PatternError) {
        throw PatternError("not implemented yet")
    }
}

/// A bad pattern (`illegal exclusion pattern: "!"`, `syntax error in pattern`).
public struct PatternError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
