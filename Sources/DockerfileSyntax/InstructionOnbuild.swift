/// `ONBUILD <instruction>`: a trigger stored in the image config and run by downstream builds.
/// Like BuildKit, the trigger itself is not validated here (only `ONBUILD`, `FROM` and
/// `MAINTAINER` are rejected); `parsedTrigger()` validates it on demand.
public struct OnbuildInstruction: Sendable, Hashable {
    public var node: Node
    /// The trigger node the parser built (nil only for malformed hand-built nodes).
    public var trigger: Node?
    /// The text stored in the image config: the line without the `ONBUILD` word, followed, for
    /// each heredoc, by `"\n" + body + name`.
    public var expression: String

    init(_ node: Node) throws(DockerfileError) {
        guard let trigger = node.nested.first else { throw InstructionErrors.atLeastOneArgument(node) }
        _ = try FlagParser.parse(node, accepting: [:])
        let keyword = trigger.keyword.trimmingGoSpace().uppercased()
        switch keyword {
        case "ONBUILD":
            throw DockerfileError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed", range: node.range)
        case "MAINTAINER", "FROM":
            throw DockerfileError("\(keyword) isn't allowed as an ONBUILD trigger", range: node.range)
        default:
            break
        }
        self.node = node
        self.trigger = trigger
        var expression = OnbuildInstruction.stripKeyword(node.original)
        // The parser may attach the heredocs to the ONBUILD node or to its trigger.
        for heredoc in (node.heredocs.isEmpty ? trigger.heredocs : node.heredocs) {
            expression += "\n" + heredoc.content + heredoc.name
        }
        self.expression = expression
    }

    /// The trigger as a typed instruction (what a downstream build would run).
    public func parsedTrigger() throws(DockerfileError) -> Instruction {
        guard let trigger else { throw InstructionErrors.atLeastOneArgument(node) }
        return try Instruction.parse(trigger)
    }

    /// Removes a leading `ONBUILD` (any case) and the white space around it.
    static func stripKeyword(_ line: String) -> String {
        var rest = Substring(line)
        while let first = rest.unicodeScalars.first, first.properties.isWhitespace { rest = rest.dropFirst() }
        guard rest.prefix(7).uppercased() == "ONBUILD" else { return line }
        rest = rest.dropFirst(7)
        while let first = rest.unicodeScalars.first, first.properties.isWhitespace { rest = rest.dropFirst() }
        return String(rest)
    }
}
