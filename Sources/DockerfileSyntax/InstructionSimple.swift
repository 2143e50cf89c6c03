/// `WORKDIR path` (exactly one argument, expanded by the builder).
public struct WorkdirInstruction: Sendable, Hashable {
    public var node: Node
    public var path: String

    init(_ node: Node) throws(DockerfileError) {
        guard node.args.count == 1 else { throw InstructionErrors.exactlyOneArgument(node) }
        _ = try FlagParser.parse(node, accepting: [:])
        self.node = node
        self.path = node.args[0]
    }
}

/// `USER user[:group]` (exactly one argument, expanded by the builder).
public struct UserInstruction: Sendable, Hashable {
    public var node: Node
    public var user: String

    init(_ node: Node) throws(DockerfileError) {
        guard node.args.count == 1 else { throw InstructionErrors.exactlyOneArgument(node) }
        _ = try FlagParser.parse(node, accepting: [:])
        self.node = node
        self.user = node.args[0]
    }
}

/// `MAINTAINER name` (deprecated; exactly one argument).
public struct MaintainerInstruction: Sendable, Hashable {
    public var node: Node
    public var maintainer: String

    init(_ node: Node) throws(DockerfileError) {
        guard node.args.count == 1 else { throw InstructionErrors.exactlyOneArgument(node) }
        _ = try FlagParser.parse(node, accepting: [:])
        self.node = node
        self.maintainer = node.args[0]
    }
}

/// `STOPSIGNAL signal`. Flags are ignored (as in BuildKit). The signal is validated by the
/// builder after expansion, with `Signal.parse(_:)`.
public struct StopSignalInstruction: Sendable, Hashable {
    public var node: Node
    public var signal: String

    init(_ node: Node) throws(DockerfileError) {
        guard node.args.count == 1 else { throw InstructionErrors.exactlyOneArgument(node) }
        self.node = node
        self.signal = node.args[0]
    }
}

/// `VOLUME path ...` or `VOLUME ["path", ...]`; each item trimmed and non-empty.
public struct VolumeInstruction: Sendable, Hashable {
    public var node: Node
    public var volumes: [String]

    init(_ node: Node) throws(DockerfileError) {
        guard !node.args.isEmpty else { throw InstructionErrors.atLeastOneArgument(node) }
        _ = try FlagParser.parse(node, accepting: [:])
        var volumes: [String] = []
        for item in node.args {
            let trimmed = item.trimmingGoSpace()
            guard !trimmed.isEmpty else {
                throw DockerfileError("VOLUME specified can not be an empty string", range: node.range)
            }
            volumes.append(trimmed)
        }
        self.node = node
        self.volumes = volumes
    }
}

/// `EXPOSE port[/proto] ...`. The raw specs are sorted bytewise (BuildKit sorts at parse time);
/// the builder expands them and parses `[ip:][hostPort:]containerPort[-end][/proto]`.
public struct ExposeInstruction: Sendable, Hashable {
    public var node: Node
    public var ports: [String]

    init(_ node: Node) throws(DockerfileError) {
        guard !node.args.isEmpty else { throw InstructionErrors.atLeastOneArgument(node) }
        _ = try FlagParser.parse(node, accepting: [:])
        self.node = node
        self.ports = node.args.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }
}

/// `SHELL ["executable", "param", ...]`: exec form only.
public struct ShellInstruction: Sendable, Hashable {
    public var node: Node
    public var shell: [String]

    init(_ node: Node) throws(DockerfileError) {
        _ = try FlagParser.parse(node, accepting: [:])
        let args = ShellCommandLine.handleJSONArgs(node.args, isJSON: node.isJSON)
        guard !args.isEmpty else { throw InstructionErrors.atLeastOneArgument(node) }
        guard node.isJSON else { throw InstructionErrors.notJSON(node) }
        self.node = node
        self.shell = args
    }
}

/// `CMD` in shell or exec form.
public struct CmdInstruction: Sendable, Hashable {
    public var node: Node
    public var command: ShellCommandLine

    init(_ node: Node) throws(DockerfileError) {
        _ = try FlagParser.parse(node, accepting: [:])
        self.node = node
        self.command = ShellCommandLine(node)
    }
}

/// `ENTRYPOINT` in shell or exec form. `ENTRYPOINT []` clears the entrypoint.
public struct EntrypointInstruction: Sendable, Hashable {
    public var node: Node
    public var command: ShellCommandLine

    init(_ node: Node) throws(DockerfileError) {
        _ = try FlagParser.parse(node, accepting: [:])
        self.node = node
        self.command = ShellCommandLine(node)
    }
}

extension String {
    /// Go's `strings.TrimSpace`: trims Unicode white space at both ends.
    func trimmingGoSpace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}
