/// A heredoc attached to an instruction (`RUN <<EOF`, `COPY <<-"EOF" /dst`).
public struct Heredoc: Sendable, Hashable {
    /// Delimiter with quotes removed (`<<"EOF"` -> `EOF`).
    public var name: String
    /// The body lines verbatim, each with its line ending; the terminator line is not included.
    public var content: String
    /// False when any part of the delimiter was quoted: the body is then not expanded.
    public var expand: Bool
    /// `<<-`: leading tabs are removed from the body when it is used.
    public var chomp: Bool
    /// The leading digits of `3<<EOF`, 0 when there are none.
    public var fileDescriptor: Int

    public init(name: String, content: String, expand: Bool, chomp: Bool, fileDescriptor: Int = 0) {
        self.name = name
        self.content = content
        self.expand = expand
        self.chomp = chomp
        self.fileDescriptor = fileDescriptor
    }
}

/// One instruction of the syntax tree, before validation: the keyword, its `--flags` (quotes
/// removed, escapes processed), and its arguments as BuildKit's parser splits them for that keyword.
public struct Node: Sendable, Hashable {
    /// The keyword lower-cased (`run`); unknown keywords are kept (validation rejects them later).
    public var keyword: String
    /// The keyword exactly as written (`Run`), for casing checks and error messages.
    public var keywordAsWritten: String
    public var flags: [String]
    public var args: [String]
    /// The trigger instruction of `ONBUILD` (zero or one node).
    public var nested: [Node]
    /// Whether the arguments were given as a JSON array (exec form).
    public var isJSON: Bool
    /// The heredocs, in order of appearance. For `ONBUILD RUN <<EOF` they are on the ONBUILD
    /// node (as in BuildKit), not on its nested trigger.
    public var heredocs: [Heredoc]
    /// The logical line as written after joining continuations (keyword included, heredoc bodies not).
    public var original: String
    /// Lines and columns the instruction spans, heredoc bodies and skipped lines included.
    public var range: SourceRange
    /// The comment lines directly above the instruction, `#` and one space removed (doc comments).
    /// A blank line between a comment and the instruction detaches it; directives are not comments.
    public var comments: [String]
    /// The arguments as the exact bytes the parser produced (they may be invalid UTF-8, which
    /// `args` cannot hold). `dump()` prints these while they still match `args`.
    var rawArgs: [[UInt8]] = []

    public init(
        keyword: String, keywordAsWritten: String? = nil, flags: [String] = [], args: [String] = [],
        nested: [Node] = [], isJSON: Bool = false, heredocs: [Heredoc] = [], original: String = "",
        range: SourceRange = SourceRange(line: 1), comments: [String] = []
    ) {
        self.keyword = keyword
        self.keywordAsWritten = keywordAsWritten ?? keyword
        self.flags = flags
        self.args = args
        self.nested = nested
        self.isJSON = isJSON
        self.heredocs = heredocs
        self.original = original
        self.range = range
        self.comments = comments
    }
}

/// The parser directives at the top of a Dockerfile (`# syntax=`, `# escape=`, `# check=`).
public struct ParserDirectives: Sendable, Hashable {
    public var syntax: String?
    public var escape: Character = "\\"
    public var check: String?
    /// Where each directive was written, by lower-cased name.
    public var locations: [String: SourceRange] = [:]

    public init() {}
}

/// Something the parser noticed that is not an error (BuildKit: an empty continuation line).
public struct ParseWarning: Sendable, Hashable {
    public var rule: String
    public var message: String
    public var range: SourceRange

    public init(rule: String, message: String, range: SourceRange) {
        self.rule = rule
        self.message = message
        self.range = range
    }
}

/// A parsed Dockerfile: the instructions in source order plus what the parser learned on the way.
public struct SyntaxTree: Sendable, Hashable {
    public var nodes: [Node]
    public var directives: ParserDirectives
    public var warnings: [ParseWarning]

    /// From the first instruction's keyword to the end of the last instruction (nil if empty).
    public var range: SourceRange? {
        guard let first = nodes.first, let last = nodes.last else { return nil }
        return SourceRange(start: first.range.start, end: last.range.end)
    }

    public init(nodes: [Node], directives: ParserDirectives, warnings: [ParseWarning] = []) {
        self.nodes = nodes
        self.directives = directives
        self.warnings = warnings
    }
}
