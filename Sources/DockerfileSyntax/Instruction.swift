/// A validated, typed Dockerfile instruction (BuildKit `instructions.Command` / `Stage`).
/// Values that the builder expands later (paths, `--chown`, mount options, …) are kept raw.
public enum Instruction: Sendable, Hashable {
    case from(FromInstruction)
    case run(RunInstruction)
    case cmd(CmdInstruction)
    case entrypoint(EntrypointInstruction)
    case shell(ShellInstruction)
    case copy(CopyInstruction)
    case add(AddInstruction)
    case env(EnvInstruction)
    case arg(ArgInstruction)
    case label(LabelInstruction)
    case expose(ExposeInstruction)
    case workdir(WorkdirInstruction)
    case user(UserInstruction)
    case volume(VolumeInstruction)
    case stopSignal(StopSignalInstruction)
    case healthcheck(HealthcheckInstruction)
    case onbuild(OnbuildInstruction)
    case maintainer(MaintainerInstruction)

    /// The 18 instruction keywords, upper case.
    public static let keywords = [
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
        "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
    ]

    /// Converts one syntax-tree node (BuildKit `ParseInstruction`). Throws BuildKit's message,
    /// located at the instruction (or at the offending flag when its column is known). An unknown
    /// keyword gives `unknown instruction: <keyword as written>` with a "did you mean" suggestion.
    public static func parse(_ node: Node) throws(DockerfileError) -> Instruction {
        switch node.keyword.lowercased() {
        case "from": return .from(try FromInstruction(node))
        case "run": return .run(try RunInstruction(node))
        case "cmd": return .cmd(try CmdInstruction(node))
        case "entrypoint": return .entrypoint(try EntrypointInstruction(node))
        case "shell": return .shell(try ShellInstruction(node))
        case "copy": return .copy(try CopyInstruction(node))
        case "add": return .add(try AddInstruction(node))
        case "env": return .env(try EnvInstruction(node))
        case "arg": return .arg(try ArgInstruction(node))
        case "label": return .label(try LabelInstruction(node))
        case "expose": return .expose(try ExposeInstruction(node))
        case "workdir": return .workdir(try WorkdirInstruction(node))
        case "user": return .user(try UserInstruction(node))
        case "volume": return .volume(try VolumeInstruction(node))
        case "stopsignal": return .stopSignal(try StopSignalInstruction(node))
        case "healthcheck": return .healthcheck(try HealthcheckInstruction(node))
        case "onbuild": return .onbuild(try OnbuildInstruction(node))
        case "maintainer": return .maintainer(try MaintainerInstruction(node))
        default: throw unknownInstruction(node)
        }
    }

    private static func unknownInstruction(_ node: Node) -> DockerfileError {
        let written = node.keywordAsWritten.isEmpty ? node.keyword : node.keywordAsWritten
        var hint = Suggestion.buildKit(written, in: keywords, caseSensitive: false)
        if let match = hint, written == written.lowercased() { hint = match.lowercased() }
        let width = max(1, written.unicodeScalars.count)
        let start = node.range.start
        let range = SourceRange(start: start, end: SourceLocation(line: start.line, column: start.column + width - 1))
        return DockerfileError("unknown instruction: \(written)", range: range, suggestion: hint.map { "did you mean \($0)?" })
    }

    /// The syntax-tree node the instruction came from (range, original text, comments).
    public var node: Node {
        switch self {
        case .from(let i): i.node
        case .run(let i): i.node
        case .cmd(let i): i.node
        case .entrypoint(let i): i.node
        case .shell(let i): i.node
        case .copy(let i): i.node
        case .add(let i): i.node
        case .env(let i): i.node
        case .arg(let i): i.node
        case .label(let i): i.node
        case .expose(let i): i.node
        case .workdir(let i): i.node
        case .user(let i): i.node
        case .volume(let i): i.node
        case .stopSignal(let i): i.node
        case .healthcheck(let i): i.node
        case .onbuild(let i): i.node
        case .maintainer(let i): i.node
        }
    }

    /// Where the instruction was written.
    public var range: SourceRange { node.range }

    /// The upper-case keyword (`RUN`).
    public var keyword: String { node.keyword.uppercased() }
}
