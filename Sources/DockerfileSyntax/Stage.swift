/// One build stage: a FROM line and the instructions after it, up to the next FROM.
public struct Stage: Sendable, Hashable {
    public var from: FromInstruction
    /// The instructions of the stage, FROM excluded, in source order.
    public var instructions: [Instruction]

    public init(from: FromInstruction, instructions: [Instruction] = []) {
        self.from = from
        self.instructions = instructions
    }

    /// The lower-cased stage name (`AS name`), nil for an unnamed stage.
    public var name: String? { from.stageName }
    /// The base image or stage reference, raw.
    public var baseName: String { from.baseName }
    /// The raw `--platform` value, nil without the flag.
    public var platform: String? { from.platform }
    /// The doc comment of the FROM line (`# name description`).
    public var docComment: String { from.docComment }
    public var range: SourceRange { from.node.range }
}

/// A whole Dockerfile as typed instructions (BuildKit `instructions.Parse`): the global ARGs
/// written before the first FROM, then the stages.
public struct DockerfileProgram: Sendable, Hashable {
    /// ARG instructions before the first FROM (global scope).
    public var metaArgs: [ArgInstruction]
    public var stages: [Stage]
    public var directives: ParserDirectives

    public init(metaArgs: [ArgInstruction] = [], stages: [Stage] = [], directives: ParserDirectives = ParserDirectives()) {
        self.metaArgs = metaArgs
        self.stages = stages
        self.directives = directives
    }

    /// Converts every node of `tree` in order; stops at the first invalid instruction. Any
    /// instruction other than ARG before the first FROM is `no build stage in current context`.
    public static func parse(_ tree: SyntaxTree) throws(DockerfileError) -> DockerfileProgram {
        var program = DockerfileProgram(directives: tree.directives)
        for node in tree.nodes {
            let instruction = try Instruction.parse(node)
            switch instruction {
            case .from(let from):
                program.stages.append(Stage(from: from))
            case .arg(let arg) where program.stages.isEmpty:
                program.metaArgs.append(arg)
            default:
                guard !program.stages.isEmpty else {
                    throw DockerfileError("no build stage in current context", range: node.range)
                }
                program.stages[program.stages.count - 1].instructions.append(instruction)
            }
        }
        return program
    }

    /// Parses Dockerfile text with `DockerfileParser` and converts it.
    public static func parse(_ text: String) throws(DockerfileError) -> DockerfileProgram {
        try parse(try DockerfileParser.parse(text))
    }

    /// The index of the stage called `name` (case-insensitive, as `COPY --from` looks it up).
    public func stageIndex(named name: String) -> Int? {
        let wanted = name.lowercased()
        return stages.firstIndex { $0.name == wanted }
    }
}
