/// A heredoc body attached to a shell-dependent command (`RUN <<EOF`). Kept verbatim: for RUN the
/// quoted/unquoted choice does not matter and `<<-` tab stripping is applied when it is used.
public struct ShellInlineFile: Sendable, Hashable {
    /// The heredoc name (delimiter without quotes).
    public var name: String
    /// The body, each line with its line ending, terminator excluded.
    public var data: String
    /// `<<-`: leading tabs are to be removed from each body line.
    public var chomp: Bool

    public init(name: String, data: String, chomp: Bool) {
        self.name = name
        self.data = data
        self.chomp = chomp
    }
}

/// The command of `RUN`, `CMD`, `ENTRYPOINT` (BuildKit's `ShellDependantCmdLine`).
///
/// Exec form keeps the JSON array elements; shell form joins the arguments with single spaces into
/// one string, which the builder runs through the stage's `SHELL`. Nothing is variable-expanded.
public struct ShellCommandLine: Sendable, Hashable {
    /// BuildKit's `CmdLine`: the JSON elements, or one joined string, or empty when no arguments.
    public var arguments: [String]
    /// Heredoc bodies referenced by the command, in order.
    public var files: [ShellInlineFile]
    /// True for the shell form: the builder prepends the current `SHELL`.
    public var prependShell: Bool

    public init(arguments: [String], files: [ShellInlineFile] = [], prependShell: Bool) {
        self.arguments = arguments
        self.files = files
        self.prependShell = prependShell
    }

    /// Whether the command was written as a JSON array.
    public var isExecForm: Bool { !prependShell }

    /// Builds the command line of a node: its args (per `handleJSONArgs`) and its heredocs.
    init(_ node: Node) {
        self.init(
            arguments: ShellCommandLine.handleJSONArgs(node.args, isJSON: node.isJSON),
            files: node.heredocs.map { ShellInlineFile(name: $0.name, data: $0.content, chomp: $0.chomp) },
            prependShell: !node.isJSON)
    }

    /// BuildKit's `handleJSONArgs`: no args give `[]`; JSON args are kept; shell-form args are
    /// joined by single spaces into one string.
    public static func handleJSONArgs(_ args: [String], isJSON: Bool) -> [String] {
        if args.isEmpty { return [] }
        if isJSON { return args }
        return [args.joined(separator: " ")]
    }
}
