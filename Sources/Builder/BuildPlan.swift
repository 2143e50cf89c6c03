import DockerfileSyntax
import Foundation
import ImageSpec

/// What one build runs, decided before anything runs: the parsed Dockerfile, the global ARG scope
/// (build args, meta ARGs, and the automatic platform ARGs of ``platform``), the stage graph, and
/// the target platform. An immutable value: the builder's stage tasks only read it, and a
/// multi-platform build makes one per target platform (``init(options:platform:)``).
///
/// The pipeline: parse → plan (this) → execute (``Builder``'s stage tasks) → commit (``ImageCommit``).
public struct BuildPlan: Sendable {
    /// The platform the build targets (TARGETPLATFORM; a stage's `FROM --platform` may name another).
    public let platform: Platform
    let program: DockerfileProgram
    let global: GlobalScope
    let stages: StagePlan

    /// Parses `options.dockerfileText` and plans it for `platform` (default: `options.platform`).
    /// Throws ``BuildError`` (parse errors keep their range).
    public init(options: BuildOptions, platform: Platform? = nil) throws {
        let platform = platform ?? options.platform
        let program: DockerfileProgram
        do {
            program = try DockerfileProgram.parse(options.dockerfileText)
        } catch {
            throw BuildError(error.message, range: error.range)
        }
        let args = PlatformArgs(target: Builder.platformArgValue(platform),
                                targetStage: options.target ?? program.stages.last?.name?.lowercased())
        var global = GlobalScope(buildArgs: options.buildArgs, platform: args, escapeToken: program.directives.escape)
        for meta in program.metaArgs {
            do { try global.declare(meta.args) } catch { throw BuildError.at(meta.node.range, "\(error)") }
        }
        self.platform = platform
        self.program = program
        self.global = global
        self.stages = try StagePlan(program: program, global: global, target: options.target,
                                    replaced: Self.replacedStages(program, options))
    }

    /// The stages a named context replaces (their instructions do not run).
    static func replacedStages(_ program: DockerfileProgram, _ options: BuildOptions) -> Set<Int> {
        guard !options.namedContexts.isEmpty else { return [] }
        var result = Set<Int>()
        for (i, stage) in program.stages.enumerated() {
            if let name = stage.name, let key = NamedContext.lookupKey(name.lowercased()),
               options.namedContexts[key] != nil { result.insert(i) }
        }
        return result
    }
}
