import ContextFilter
import CopyPlanner
import DockerfileSyntax
import Foundation
import ImageSpec
import ImageStore
import Images
import ShellWords

/// Builds a Dockerfile into an image in the content store, the way Docker 20.10's BuildKit does.
///
/// `@unchecked Sendable`: stages build in parallel tasks (``buildStages()``). Everything but the
/// finished stages is set before they start and only read afterwards; finished stages live in
/// ``FinishedStages`` behind its lock.
public final class Builder: @unchecked Sendable {
    let options: BuildOptions
    let images: ImageService
    let progress: BuildProgress
    var store: ContentStore { images.store }
    let committer: LayerCommitter
    let cache: BuildCache
    var program = DockerfileProgram()
    var global = GlobalScope()
    var plan: StagePlan!
    /// Finished stages by index (a stage task reads only the stages it depends on).
    let finished = FinishedStages()
    /// `SOURCE_DATE_EPOCH` in seconds (build arg), nil when unset.
    let sourceDateEpoch: Int64?
    /// The context paths `.dockerignore` lets through (nil: nothing excluded), as BuildKit's
    /// context transfer (ContextWalker) sends them.
    var contextIncluded: Set<String>?
    /// Content digests of context files from earlier builds (`kiln/checksums.json`), so an unchanged
    /// context is not read again to compute COPY cache keys.
    let contextChecksums: FileChecksumCache

    public init(options: BuildOptions, images: ImageService, progress: BuildProgress) {
        self.options = options
        self.images = images
        self.progress = progress
        self.sourceDateEpoch = try? options.sourceDateEpoch()
        self.committer = LayerCommitter(store: images.store, clampTime: sourceDateEpoch)
        self.cache = BuildCache(store: images.store, enabled: !options.noCache)
        self.contextChecksums = FileChecksumCache(file: images.store.location.stateDirectory.appendingPathComponent("checksums.json"))
    }

    /// Runs the build. Throws ``BuildError`` (with the instruction's range when known).
    public func build() async throws -> BuildResult {
        _ = try options.sourceDateEpoch()  // an invalid value is an error before anything runs
        store.removeAbandonedScratch()  // what a killed build left, mounts included
        do {
            program = try DockerfileProgram.parse(options.dockerfileText)
        } catch {
            throw BuildError(error.message, range: error.range)
        }
        let platform = PlatformArgs(target: Self.platformArgValue(options.platform),
                                    targetStage: options.target ?? program.stages.last?.name?.lowercased())
        global = GlobalScope(buildArgs: options.buildArgs, platform: platform, escapeToken: program.directives.escape)
        for meta in program.metaArgs {
            do { try global.declare(meta.args) } catch { throw BuildError.at(meta.node.range, "\(error)") }
        }
        plan = try StagePlan(program: program, global: global, target: options.target, replaced: replacedStages)
        try loadIgnoreFile()
        defer { contextChecksums.save() }
        try await buildStages()
        var final = finished[plan.target]!
        for (key, value) in options.labels { final.config.config.labels[key] = value }
        return try await ImageCommit(store: store, sourceDateEpoch: sourceDateEpoch).write(final)
    }

    private func loadIgnoreFile() throws {
        guard let context = options.contextDirectory else { return }
        let dockerfile = options.dockerfilePath.map { URL(fileURLWithPath: $0) }
        let patterns: [String]
        do {
            patterns = try IgnoreFile.load(contextDirectory: URL(fileURLWithPath: context), dockerfile: dockerfile).patterns
        } catch {
            throw BuildError("failed to read .dockerignore: \(error)")
        }
        if !patterns.isEmpty {
            do {
                contextIncluded = try LegacyContextWalk.included(root: context, matcher: try PatternMatcher(patterns))
            } catch {
                throw BuildError("failed to read the build context with its .dockerignore: \(error)")
            }
        }
    }

    /// Builds one stage: its base, the base's ONBUILD triggers, then its instructions.
    func buildStage(_ index: Int) async throws -> StageState {
        let stage = program.stages[index]
        let label = stage.name ?? "stage-\(index)"
        // A named context called like the stage replaces it: none of its instructions run (BuildKit).
        if let name = stage.name, let named = namedContext(for: name.lowercased()) {
            return try await namedContextState(named, label: label, range: stage.range)
        }
        var state = try await baseState(index)
        let triggers = try onbuildTriggers(&state, range: stage.range)
        let steps = triggers + stage.instructions
        for (i, instruction) in steps.enumerated() {
            try Task.checkCancellation()
            let title = "[\(label) \(i + 2)/\(steps.count + 1)] \(Self.displayText(instruction))"
            try await dispatch(instruction, state: &state, title: title, stageIndex: index)
        }
        return state
    }

    static func displayText(_ instruction: Instruction) -> String {
        let text = instruction.node.original
        let line = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        if case .run(let run) = instruction, let summary = RunHeredoc.summary(run.command) { return line + " (\(summary))" }
        return line
    }

    /// The parsed ONBUILD triggers of the base image; clears them from the config.
    private func onbuildTriggers(_ state: inout StageState, range: SourceRange) throws -> [Instruction] {
        let expressions = state.config.config.onBuild
        guard !expressions.isEmpty else { return [] }
        state.config.config.onBuild = []
        var result: [Instruction] = []
        for expression in expressions {
            do {
                let tree = try DockerfileParser.parse(expression + "\n")
                for node in tree.nodes { result.append(try Instruction.parse(node)) }
            } catch {
                throw BuildError.at(range, "failed to parse ONBUILD trigger \(expression): \(error.message)")
            }
        }
        return result
    }

    /// The state a stage starts from: scratch, an earlier stage, or an image.
    private func baseState(_ index: Int) async throws -> StageState {
        let stage = program.stages[index]
        let name = plan.baseNames[index]
        let label = stage.name ?? "stage-\(index)"
        if let base = plan.baseStage[index], let state = finished[base] {
            return state.derived()
        }
        let platform = try stagePlatform(index)
        if name.lowercased() == "scratch" {
            let config = ImageConfig(platform: platform,
                                     config: ContainerConfig(env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], workingDir: "/"))
            return epochApplied(StageState(config: config, layers: [], snapshots: [], cacheKey: "scratch"))
        }
        if let named = namedContext(for: name) {
            return try await namedContextState(named, label: "\(label) 1/\(stage.instructions.count + 1)", range: stage.range)
        }
        let step = progress.begin("[\(label) 1/\(stage.instructions.count + 1)] FROM \(name)")
        let started = Date()
        let image = try await resolveImage(name, range: stage.range, platform: platform, explicit: stage.platform != nil)
        let snapshots = try await images.snapshots(for: image)
        progress.done(step, since: started)
        var config = image.config
        if config.history.isEmpty { config.history = [] }
        return epochApplied(StageState(config: config, layers: image.manifest.layers, snapshots: snapshots,
                                       cacheKey: "image:\(image.id)"))
    }

    /// With `SOURCE_DATE_EPOCH`, history entries get the epoch as their time, and the cache keys
    /// name the epoch: a layer cached by a build without it (unclamped mtimes) is not reused.
    private func epochApplied(_ state: StageState) -> StageState {
        guard let sourceDateEpoch else { return state }
        var state = state
        state.historyTime = Timestamp(secondsSinceEpoch: sourceDateEpoch)
        state.cacheKey += " source-date-epoch:\(sourceDateEpoch)"
        return state
    }

    /// The local image `name`, pulled first when missing (or always with `--pull`).
    /// `platform`: the stage's (`FROM --platform`), else the build's target platform; with
    /// `explicit`, a local image of another platform is not used (it is pulled for `platform`).
    func resolveImage(_ name: String, range: SourceRange?, platform: Platform? = nil, explicit: Bool = false) async throws -> LocalImage {
        let reference: ImageReference
        do { reference = try ImageReference(parsing: name) } catch {
            throw BuildError("failed to parse image reference \"\(name)\": \(error)", range: range)
        }
        let platform = platform ?? options.platform
        if !options.pull, let local = try await images.localImage(reference.description),
           !explicit || Self.samePlatform(local.config.platform, platform) {
            return local
        }
        do {
            return try await images.pull(reference, platform: platform)
        } catch {
            throw BuildError("failed to resolve source metadata for \(reference.description): \(error)", range: range)
        }
    }

    /// Expands `word` with the stage's variables.
    func expand(_ word: String, _ state: StageState, _ range: SourceRange) throws -> String {
        do {
            return try global.lexer.processWord(word, env: ShellEnvironment(state.envMap))
        } catch {
            throw BuildError.at(range, "\(error)")
        }
    }
}
