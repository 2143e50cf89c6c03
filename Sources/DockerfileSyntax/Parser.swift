/// Dockerfile text -> `SyntaxTree`, exactly as BuildKit's `parser.Parse` splits it
/// (see shared/vectors/parser/FORMAT.md). Linear in the input; never traps on any bytes.
public enum DockerfileParser {
    /// Parses raw Dockerfile bytes. Throws `DockerfileError` with a location on a parse error
    /// (`file with no instructions`, bad JSON element, unterminated heredoc, …). Never crashes.
    public static func parse(_ bytes: [UInt8]) throws(DockerfileError) -> SyntaxTree {
        var state = ParserState(lines: LineSplitter(bytes))
        while let line = try state.lines.next() {
            try state.handleFirstLine(line)
        }
        guard !state.nodes.isEmpty else {
            throw DockerfileError("file with no instructions", range: SourceRange(line: 1))
        }
        return SyntaxTree(nodes: state.nodes, directives: state.directives.directives, warnings: state.warnings)
    }

    public static func parse(_ text: String) throws(DockerfileError) -> SyntaxTree {
        try parse(Array(text.utf8))
    }
}

/// The parser's running state: the line reader, directives, pending doc comments, results.
struct ParserState {
    var lines: LineSplitter
    var directives = DirectiveParser()
    var nodes: [Node] = []
    var warnings: [ParseWarning] = []
    /// Comment lines seen since the last instruction or blank line.
    var pendingComments: [String] = []

    init(lines: LineSplitter) {
        self.lines = lines
    }

    var bytes: [UInt8] { lines.bytes }

    /// Handles a line that may start an instruction: directive, comment, blank, or the first
    /// line of an instruction (then reads its continuation lines and heredoc bodies).
    mutating func handleFirstLine(_ line: PhysicalLine) throws(DockerfileError) {
        let text = GoText.trimLeft(bytes, line.content)
        let column = 1 + GoText.runeCount(bytes, line.content.lowerBound..<text.lowerBound)
        if try directives.offer(bytes, text, line: line.number, column: column) { return }
        if Self.isComment(bytes, text) {
            pendingComments.append(Self.commentText(bytes, text))
            return
        }
        let (first, continues) = Self.splitContinuation(bytes, text, escape: directives.escape)
        if !continues, first.isEmpty {
            pendingComments = []
            return
        }
        var logical = Array(bytes[first])
        var endLine = line.number
        var hadEmptyLine = false
        var more = continues
        while more, let next = try lines.next() {
            endLine = next.number
            if Self.isComment(bytes, GoText.trimLeft(bytes, next.content)) { continue }
            if GoText.isAllSpace(bytes, next.content) {
                hadEmptyLine = true
                continue
            }
            let (part, again) = Self.splitContinuation(bytes, next.content, escape: directives.escape)
            logical.append(contentsOf: bytes[part])
            more = again
        }
        let start = SourceLocation(line: line.number, column: column)
        try addInstruction(logical, start: start, endLine: endLine)
        if hadEmptyLine, let node = nodes.last {
            warnings.append(ParseWarning(
                rule: "NoEmptyContinuation", message: "Empty continuation line",
                range: SourceRange(start: node.range.start, end: SourceLocation(line: endLine))))
        }
    }

    /// Builds the node for a logical line, reads its heredoc bodies, and appends it.
    mutating func addInstruction(_ logical: [UInt8], start: SourceLocation, endLine: Int) throws(DockerfileError) {
        let errorRange = SourceRange(start: start, end: SourceLocation(line: endLine, column: lastColumn(endLine)))
        let context = InstructionContext(escape: directives.escape, range: errorRange)
        var node = try DockerfileParser.parseInstruction(logical, 0..<logical.count, context: context)
        node.comments = pendingComments
        pendingComments = []
        var lastLine = endLine
        if DockerfileParser.canContainHeredoc(node), Self.containsHeredocOperator(logical) {
            let markers: [HeredocMarker]
            do {
                markers = try DockerfileParser.heredocMarkers(logical, 0..<logical.count)
            } catch {
                throw error.located(at: errorRange)
            }
            for marker in markers {
                let (heredoc, terminator) = try DockerfileParser.readHeredocBody(marker, lines: &lines, errorRange: errorRange)
                node.heredocs.append(heredoc)
                lastLine = terminator
            }
        }
        node.range.end = SourceLocation(line: lastLine, column: lastColumn(lastLine))
        nodes.append(node)
    }

    /// The column of the last character of the line just read as `number` (1 if empty).
    private func lastColumn(_ number: Int) -> Int {
        lines.lineNumber == number ? max(1, lines.lastLineLength) : 1
    }

    static func containsHeredocOperator(_ bytes: [UInt8]) -> Bool {
        var i = 1
        while i < bytes.count {
            if bytes[i] == 0x3C, bytes[i - 1] == 0x3C { return true }
            i += 1
        }
        return false
    }

    /// Whether the line (leading whitespace already removed) is a comment.
    static func isComment(_ bytes: [UInt8], _ text: Range<Int>) -> Bool {
        !text.isEmpty && bytes[text.lowerBound] == UInt8(ascii: "#")
    }

    /// A comment's text without `#` and one following space.
    static func commentText(_ bytes: [UInt8], _ text: Range<Int>) -> String {
        var lo = text.lowerBound + 1
        if lo < text.upperBound, bytes[lo] == 0x20 { lo += 1 }
        return GoText.string(bytes[lo..<text.upperBound])
    }

    /// Applies the continuation rule: a line ending in the escape token (not itself escaped),
    /// optionally followed by spaces and tabs, continues; the token and the blanks are removed.
    static func splitContinuation(_ bytes: [UInt8], _ text: Range<Int>, escape: UInt8) -> (Range<Int>, Bool) {
        var end = text.upperBound
        while end > text.lowerBound, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        guard end > text.lowerBound, bytes[end - 1] == escape else { return (text, false) }
        let token = end - 1
        if token > text.lowerBound, bytes[token - 1] == escape { return (text, false) }
        return (text.lowerBound..<token, true)
    }
}
