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
    /// Base images resolved by this build, by reference (``resolveImage(_:range:)``).
    let resolvedImages = ResolvedImages()
    /// `--trace`: phase timings (off without a file).
    let trace: BuildTrace
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
    /// Content digests of context files from earlier builds (`kiln/checksums.v2`), so an unchanged
    /// context is not read again to compute COPY cache keys.
    let contextChecksums: FileChecksumCache
    /// The private network RUN steps share (started at the first RUN that needs it).
    let network: BuildNetwork

    public init(options: BuildOptions, images: ImageService, progress: BuildProgress) {
        self.options = options
        self.images = images
        self.progress = progress
        self.sourceDateEpoch = try? options.sourceDateEpoch()
        self.trace = BuildTrace(path: options.tracePath)
        self.committer = LayerCommitter(store: images.store, clampTime: sourceDateEpoch, trace: trace)
        self.cache = BuildCache(store: images.store, enabled: !options.noCache)
        self.network = BuildNetwork(store: images.store)
        self.contextChecksums = FileChecksumCache(file: images.store.location.stateDirectory.appendingPathComponent("checksums.v2"))
    }

    /// Runs the build. Throws ``BuildError`` (with the instruction's range when known).
    public func build() async throws -> BuildResult {
        _ = try options.sourceDateEpoch()  // an invalid value is an error before anything runs
        store.removeAbandonedScratch()  // what a killed build left, mounts included
        defer { network.stop() }
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
        try trace.phaseSync("context-filter", step: "build") { try loadIgnoreFile() }
        defer {
            trace.phaseSync("save-checksums", step: "build") { contextChecksums.save() }
            trace.write()
        }
        try await buildStages()
        var final = finished[plan.target]!
        for (key, value) in options.labels { final.config.config.labels[key] = value }
        var result = try await trace.phase("image", step: "write image") {
            try await ImageCommit(store: store, sourceDateEpoch: sourceDateEpoch, reuse: !options.noCache).write(final)
        }
        result.baseImages = await baseImageUses()
        cache.recordBuild(of: result.id)
        return result
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
        try await BuildTrace.$stage.withValue(index) { try await buildStageSteps(index) }
    }

    private func buildStageSteps(_ index: Int) async throws -> StageState {
        let stage = program.stages[index]
        let label = stage.name ?? "stage-\(index)"
        // A named context called like the stage replaces it: none of its instructions run (BuildKit).
        if let name = stage.name, let named = namedContext(for: name.lowercased()) {
            return try await namedContextState(named, label: label, range: stage.range)
        }
        var titles = stepTitles(index)
        var state = try await baseState(index, titles: &titles)
        let triggers = try onbuildTriggers(&state, range: stage.range)
        for instruction in triggers + stage.instructions {
            try Task.checkCancellation()
            let title = StepTitles.isStep(instruction)
                ? titles.next(StepTitles.text(instruction, env: state.envMap, escapeToken: program.directives.escape))
                : Self.displayText(instruction)
            try await dispatch(instruction, state: &state, title: title, stageIndex: index)
        }
        return state
    }

    static func displayText(_ instruction: Instruction) -> String {
        let line = instructionLine(instruction)
        if case .run(let run) = instruction, let summary = RunHeredoc.summary(run.command) { return line + " (\(summary))" }
        return line
    }

    /// The instruction as written, its continuation lines joined into one.
    static func instructionLine(_ instruction: Instruction) -> String {
        instruction.node.original.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
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

    /// The step counter of stage `index` (its FROM counts when it names an image).
    private func stepTitles(_ index: Int) -> StepTitles {
        let name = plan.baseNames[index]
        let fromImage = plan.baseStage[index] == nil && name.lowercased() != "scratch"
        return StepTitles(program: program, stageIndex: index, baseIsImage: fromImage)
    }

    /// The state a stage starts from: scratch, an earlier stage, or an image.
    private func baseState(_ index: Int, titles: inout StepTitles) async throws -> StageState {
        let stage = program.stages[index]
        let name = plan.baseNames[index]
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
            let title = titles.next("")
            return try await namedContextState(named, label: String(title.dropFirst().prefix { $0 != "]" }), range: stage.range)
        }
        let step = progress.begin(titles.next("FROM \(name)"))
        let started = Date()
        let title = "FROM \(name)"
        let (image, snapshots) = try await BuildProgress.$currentStep.withValue(step) {
            let image = try await trace.phase("resolve", step: title) {
                try await resolveImage(name, range: stage.range, platform: platform, explicit: stage.platform != nil)
            }
            return (image, try await trace.phase("snapshots", step: title) { try await images.snapshots(for: image) })
        }
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

    /// The local image `name`, pulled first when missing (or always with `--pull`). Each name (and
    /// platform) is resolved once per build: stages running in parallel on one base share one lookup
    /// (or pull). `platform`: the stage's (`FROM --platform`), else the build's target platform; with
    /// `explicit`, a local image of another platform is not used (it is pulled for `platform`).
    func resolveImage(_ name: String, range: SourceRange?, platform: Platform? = nil, explicit: Bool = false) async throws -> LocalImage {
        let reference: ImageReference
        do { reference = try ImageReference(parsing: name) } catch {
            throw BuildError("failed to parse image reference \"\(name)\": \(error)", range: range)
        }
        let platform: Platform = platform ?? options.platform
        let key = "\(reference.description) \(platform) \(explicit)"
        let task = resolvedImages.task(for: key) {
            Task { try await self.lookUpOrPull(reference, platform: platform, explicit: explicit) }
        }
        do {
            return try await task.value
        } catch let error as BuildError {
            throw BuildError(error.message, range: range)
        }
    }

    private func lookUpOrPull(_ reference: ImageReference, platform: Platform, explicit: Bool) async throws -> LocalImage {
        let range: SourceRange? = nil
        if !options.pull, let local = try await images.localImage(reference.description),
           !explicit || Self.samePlatform(local.config.platform, platform),
           try images.holdComplete(local) {
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
