/// Dockerfile text -> `SyntaxTree`, exactly as BuildKit's `parser.Parse` splits it.
public enum DockerfileParser {
    /// Parses raw Dockerfile bytes. Throws `DockerfileError` with a location on a parse error
    /// (`file with no instructions`, bad JSON element, unterminated heredoc, …). Never crashes.
    public static func parse(_ bytes: [UInt8]) throws(DockerfileError) -> SyntaxTree {
        throw DockerfileError("parser not implemented yet")
    }

    public static func parse(_ text: String) throws(DockerfileError) -> SyntaxTree {
        try parse(Array(text.utf8))
    }
}

extension SyntaxTree {
    /// BuildKit's `Node.Dump()` format, one line per instruction (see shared/vectors/parser/FORMAT.md).
    public func dump() -> String {
        ""
    }
}
