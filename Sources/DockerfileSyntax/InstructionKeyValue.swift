/// One `key=value` of ENV or LABEL. Key and value are raw: quotes and escapes are removed, and
/// variables expanded, by the builder.
public struct KeyValuePair: Sendable, Hashable {
    public var key: String
    public var value: String
    /// Written in the legacy `ENV key value` form (no `=`); lint `LegacyKeyValueFormat`.
    public var noDelimiter: Bool

    public init(key: String, value: String, noDelimiter: Bool = false) {
        self.key = key
        self.value = value
        self.noDelimiter = noDelimiter
    }
}

/// `ENV k=v ...` or legacy `ENV k v`.
public struct EnvInstruction: Sendable, Hashable {
    public var node: Node
    public var pairs: [KeyValuePair]

    init(_ node: Node) throws(DockerfileError) {
        _ = try FlagParser.parse(node, accepting: [:])
        self.node = node
        self.pairs = try KeyValueParsing.pairs(node)
    }
}

/// `LABEL k=v ...` or legacy `LABEL k v`.
public struct LabelInstruction: Sendable, Hashable {
    public var node: Node
    public var labels: [KeyValuePair]

    init(_ node: Node) throws(DockerfileError) {
        _ = try FlagParser.parse(node, accepting: [:])
        self.node = node
        self.labels = try KeyValueParsing.pairs(node)
    }
}

/// One `name` or `name=default` of an ARG line.
public struct ArgDeclaration: Sendable, Hashable {
    public var key: String
    /// The raw default (quotes kept, expanded by the builder); nil when written without `=`.
    public var value: String?
    /// The doc comment: text after `# <key> ` in the comments directly above the ARG line.
    public var docComment: String

    public init(key: String, value: String? = nil, docComment: String = "") {
        self.key = key
        self.value = value
        self.docComment = docComment
    }
}

/// `ARG name[=default] ...`. Flags are accepted and ignored, as in BuildKit.
public struct ArgInstruction: Sendable, Hashable {
    public var node: Node
    public var args: [ArgDeclaration]

    init(_ node: Node) throws(DockerfileError) {
        guard !node.args.isEmpty else { throw InstructionErrors.atLeastOneArgument(node) }
        var args: [ArgDeclaration] = []
        for word in node.args {
            var declaration = ArgDeclaration(key: word)
            if let eq = word.firstIndex(of: "=") {
                declaration.key = String(word[..<eq])
                declaration.value = String(word[word.index(after: eq)...])
                guard !declaration.key.isEmpty else { throw InstructionErrors.blankNames(node) }
            }
            declaration.docComment = DocComment.find(for: declaration.key, in: node.comments)
            args.append(declaration)
        }
        self.node = node
        self.args = args
    }
}

enum KeyValueParsing {
    /// The parser gives ENV/LABEL args as triples `key, value, delimiter` (`"="` or `""` for the
    /// legacy form).
    static func pairs(_ node: Node) throws(DockerfileError) -> [KeyValuePair] {
        let args = node.args
        guard !args.isEmpty else { throw InstructionErrors.atLeastOneArgument(node) }
        guard args.count % 3 == 0 else { throw InstructionErrors.tooManyArguments(node) }
        var pairs: [KeyValuePair] = []
        for start in stride(from: 0, to: args.count, by: 3) {
            guard !args[start].isEmpty else { throw InstructionErrors.blankNames(node) }
            pairs.append(KeyValuePair(key: args[start], value: args[start + 1], noDelimiter: args[start + 2].isEmpty))
        }
        return pairs
    }
}

/// Doc comments of stages and ARGs: `# name description` directly above the definition.
enum DocComment {
    /// The text after `name ` in the first comment line starting with it, or "".
    static func find(for name: String, in comments: [String]) -> String {
        guard !name.isEmpty else { return "" }
        for line in comments where line.hasPrefix(name + " ") {
            return String(line.dropFirst(name.count + 1))
        }
        return ""
    }
}
