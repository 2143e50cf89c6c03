/// A position in a Dockerfile: 1-based line and 1-based column (in Unicode scalars).
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int = 1) {
        self.line = line
        self.column = column
    }

    public static func < (a: SourceLocation, b: SourceLocation) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }

    public var description: String { "\(line):\(column)" }
}

/// The span of source text an instruction (or part of one) came from. `end` is inclusive:
/// an instruction's range covers its continuation lines, skipped comment/blank lines inside
/// the continuation, and its heredoc bodies.
public struct SourceRange: Sendable, Hashable, CustomStringConvertible {
    public var start: SourceLocation
    public var end: SourceLocation

    public init(start: SourceLocation, end: SourceLocation) {
        self.start = start
        self.end = end
    }

    public init(line: Int, column: Int = 1) {
        self.start = SourceLocation(line: line, column: column)
        self.end = self.start
    }

    public var description: String { "\(start)-\(end)" }
}
