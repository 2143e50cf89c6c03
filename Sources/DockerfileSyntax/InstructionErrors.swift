/// BuildKit's argument-count and shape errors, located at the instruction.
enum InstructionErrors {
    static func exactlyOneArgument(_ node: Node) -> DockerfileError {
        DockerfileError("\(name(node)) requires exactly one argument", range: node.range)
    }

    static func atLeastOneArgument(_ node: Node) -> DockerfileError {
        DockerfileError("\(name(node)) requires at least one argument", range: node.range)
    }

    static func noDestinationArgument(_ node: Node) -> DockerfileError {
        DockerfileError(
            "\(name(node)) requires at least two arguments, but only one was provided. Destination could not be determined",
            range: node.range)
    }

    static func blankNames(_ node: Node) -> DockerfileError {
        DockerfileError("\(name(node)) names can not be blank", range: node.range)
    }

    static func tooManyArguments(_ node: Node) -> DockerfileError {
        DockerfileError("Bad input to \(name(node)), too many arguments", range: node.range)
    }

    static func badHeredoc(_ node: Node, as role: String) -> DockerfileError {
        DockerfileError("\(name(node)) cannot accept a heredoc as \(role)", range: node.range)
    }

    /// `SHELL powershell -command`: the exec form is required. Like BuildKit, adds a hint when the
    /// text looks like a JSON array holding an unescaped Windows path (`["c:\windows\x.exe"]`).
    static func notJSON(_ node: Node) -> DockerfileError {
        let command = name(node)
        let original = node.original.lowercased()
            .replacing(command.lowercased() + " ", with: "")
        var extra = ""
        if looksLikeUnescapedWindowsPath(original) {
            extra = ". It looks like '\(original)' includes a file path without an escaped back-slash. "
                + #"JSON requires back-slashes to be escaped such as ["c:\\path\\to\\file.exe", "/parameter"]"#
        }
        return DockerfileError("\(command) requires the arguments to be in JSON form\(extra)", range: node.range)
    }

    private static func looksLikeUnescapedWindowsPath(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        guard text.contains("["), text.contains("]"), !text.contains(#"\\"#) else { return false }
        for i in scalars.indices where i + 3 < scalars.count {
            if scalars[i] == "\"", ("a"..."z").contains(scalars[i + 1]), scalars[i + 2] == ":", scalars[i + 3] == "\\" {
                return true
            }
        }
        return false
    }

    /// The instruction name as BuildKit spells it in messages (upper case).
    static func name(_ node: Node) -> String { node.keyword.uppercased() }
}
