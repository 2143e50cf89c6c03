import DockerfileSyntax
import ShellWords

/// The titles of a stage's steps as BuildKit names its vertices: `[2/5] RUN make`, or with the stage
/// name when the build has more than one stage (`[build 1/4] FROM golang`, `[stage-1 2/3] COPY ...`).
///
/// Facts followed (BuildKit's Dockerfile frontend, Docker 20.10):
/// - only steps that become a vertex are counted: FROM an image (not scratch, not an earlier stage),
///   RUN, COPY, ADD and WORKDIR; ENV, LABEL, CMD, ... add no step;
/// - the index is right-aligned to the width of the total (`[ 2/12]`);
/// - the stage name is left out when the build has a single stage, where a `COPY --from=image`
///   or `RUN --mount=from=image` naming an image counts as a stage of its own;
/// - the instruction text has its first word upper-cased and its variables expanded with the
///   stage's variables: RUN keeps quotes and unset variables as written, COPY/ADD/WORKDIR expand
///   as a shell word does (quotes removed, unset variables empty); a failing expansion keeps the text.
struct StepTitles {
    /// `nil` for a single-stage build.
    let stageName: String?
    let total: Int
    /// The stage's platform (`linux/arm64`), shown first in a multi-platform build; nil otherwise.
    var platform: String?
    private(set) var index = 0

    init(program: DockerfileProgram, stageIndex: Int, baseIsImage: Bool) {
        let stages = program.stages
        let stage = stages[stageIndex]
        stageName = Self.stageCount(stages) > 1 ? (stage.name ?? "stage-\(stageIndex)") : nil
        total = (baseIsImage ? 1 : 0) + stage.instructions.filter(Self.isStep).count
    }

    /// Whether `instruction` becomes a step of its own in BuildKit's progress.
    static func isStep(_ instruction: Instruction) -> Bool {
        switch instruction {
        case .run, .copy, .add, .workdir: return true
        default: return false
        }
    }

    /// The stages BuildKit's frontend knows: the Dockerfile's stages plus one per image named by
    /// `--from` that is not a stage, and one for any cache mount without `from` (BuildKit gives it
    /// `from=scratch`, which it registers as a stage).
    static func stageCount(_ stages: [Stage]) -> Int {
        var images = Set<String>()
        for (i, stage) in stages.enumerated() {
            for instruction in stage.instructions {
                if case .run(let run) = instruction, hasCacheMountWithoutFrom(run) { images.insert("scratch") }
                for ref in StagePlan.fromReferences(instruction)
                where StagePlan.stageIndex(ref, stages: stages, before: i) == nil
                    && !stages.contains(where: { $0.name?.lowercased() == ref.lowercased() }) {
                    images.insert(ref.lowercased())
                }
            }
        }
        return stages.count + images.count
    }

    static func hasCacheMountWithoutFrom(_ run: RunInstruction) -> Bool {
        if let mounts = run.literalMounts { return mounts.contains { $0.type == .cache && $0.from.isEmpty } }
        return run.mountSpecs.contains { spec in
            let fields = spec.lowercased().split(separator: ",").map { $0.replacingOccurrences(of: " ", with: "") }
            return fields.contains("type=cache") && !fields.contains { $0.hasPrefix("from=") }
        }
    }

    /// The next step's title: the counter prefix, then `text`.
    mutating func next(_ text: String) -> String {
        guard total > 0 else { return text }
        index += 1
        let width = String(total).count
        let number = String(repeating: " ", count: max(0, width - String(index).count)) + String(index)
        return "[" + (platform.map { $0 + " " } ?? "") + (stageName.map { $0 + " " } ?? "") + "\(number)/\(total)] " + text
    }

    /// The instruction's text as a step title: first word upper-cased, variables expanded with `env`.
    static func text(_ instruction: Instruction, env: [String: String], escapeToken: Character) -> String {
        let line = Builder.instructionLine(instruction)
        let lexer: ShellLexer
        if case .run = instruction {
            lexer = ShellLexer(escapeToken: escapeToken, rawQuotes: true, skipUnsetEnv: true)
        } else {
            lexer = ShellLexer(escapeToken: escapeToken)
        }
        let expanded = (try? lexer.processWord(line, env: ShellEnvironment(env))) ?? line
        var title = uppercasedKeyword(expanded)
        if case .run(let run) = instruction, let summary = RunHeredoc.summary(run.command) { title += " (\(summary))" }
        return title
    }

    static func uppercasedKeyword(_ text: String) -> String {
        guard let space = text.firstIndex(of: " ") else { return text.uppercased() }
        return text[..<space].uppercased() + text[space...]
    }
}
