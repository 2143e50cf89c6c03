/// How serious a diagnostic is.
public enum Severity: String, Sendable, Codable {
    case error
    case warning
}

/// Renders a message about a Dockerfile the way a compiler does:
///
///     Dockerfile:3:1: error: unknown instruction: RUNN (did you mean RUN?)
///         3 | RUNN echo hi
///           | ^~~~
///
/// Pure formatting; the caller supplies the source text.
public enum DiagnosticRenderer {
    public static func render(
        file: String,
        source: String,
        range: SourceRange?,
        severity: Severity,
        message: String
    ) -> String {
        guard let range else { return "\(file): \(severity.rawValue): \(message)" }
        var out = "\(file):\(range.start.line):\(range.start.column): \(severity.rawValue): \(message)"
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        let index = range.start.line - 1
        guard lines.indices.contains(index) else { return out }
        var text = String(lines[index])
        if text.hasSuffix("\r") { text.removeLast() }
        let number = String(range.start.line)
        let gutter = String(repeating: " ", count: number.count)
        out += "\n \(number) | \(text)"
        let startColumn = max(1, range.start.column)
        let endColumn: Int
        if range.end.line == range.start.line, range.end.column > startColumn {
            endColumn = range.end.column
        } else {
            endColumn = startColumn + max(1, markerWidth(text, from: startColumn)) - 1
        }
        // Keep tabs so the marker lines up under the text in any terminal.
        let prefix = text.unicodeScalars.prefix(startColumn - 1).map { $0 == "\t" ? "\t" : " " }.joined()
        out += "\n \(gutter) | \(prefix)^" + String(repeating: "~", count: max(0, endColumn - startColumn))
        return out
    }

    /// Width of the word starting at `column` (1-based), so the marker underlines a whole keyword.
    private static func markerWidth(_ text: String, from column: Int) -> Int {
        let scalars = Array(text.unicodeScalars.dropFirst(column - 1))
        var width = 0
        for s in scalars {
            if s == " " || s == "\t" { break }
            width += 1
        }
        return width
    }

    public static func render(file: String, source: String, error: DockerfileError) -> String {
        render(file: file, source: source, range: error.range, severity: .error, message: error.description)
    }
}
