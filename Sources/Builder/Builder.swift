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
/// The executor of a ``BuildPlan``: parse and plan happen before it exists, so the program, the
/// global scope and the stage graph are constants here.
/// `@unchecked Sendable`: stages build in parallel tasks (``buildStages()``). Everything but the
/// finished stages is set in `init` and only read afterwards; finished stages live in
/// ``FinishedStages`` behind its lock.
public final class Builder: @unchecked Sendable {
    let options: BuildOptions
    let images: ImageService
    let progress: BuildProgress
    var store: ContentStore { images.store }
    let committer: LayerCommitter
    let cache: BuildCache
    /// Base images resolved by this build, by reference (``resolveImage(_:range:)``); shared by the
    /// plans of a multi-platform build.
    let resolvedImages: ResolvedImages
    /// The stages built once for the plans of a multi-platform build, and each stage's key there.
    let shared: SharedStages?
    let stageKeys: [Int: String]
    /// `--trace`: phase timings (off without a file).
    let trace: BuildTrace
    /// What this build runs (one target platform).
    let buildPlan: BuildPlan
    let program: DockerfileProgram
    let global: GlobalScope
    let plan: StagePlan
    /// Finished stages by index (a stage task reads only the stages it depends on).
    let finished = FinishedStages()
    /// `SOURCE_DATE_EPOCH` in seconds (build arg), nil when unset.
    let sourceDateEpoch: Int64?
    /// The build context's walk (what `.dockerignore` lets through, the context's fingerprint),
    /// made on first use.
    let contextScanner: ContextScanner
    /// The context paths `.dockerignore` lets through (nil: nothing excluded), as BuildKit's
    /// context transfer (ContextWalker) sends them.
    var contextIncluded: Set<String>? {
        get throws { try contextScanner.included() }
    }
    /// Content digests of context files from earlier builds (`kiln/checksums.v2.d/<context key>`, one
    /// file per build context, so a build rewrites only its own context's records), so an unchanged
    /// context is not read again to compute COPY cache keys.
    let contextChecksums: FileChecksumCache
    /// Source checksums of earlier context COPY steps by the context's fingerprint (`kiln/cache/plans`).
    let planMemo: CopyPlanMemo
    /// The private network RUN steps share (started at the first RUN that needs it).
    let network: BuildNetwork
    /// Whether a RUN step of this build may join the private build network (`BuildNetwork`): the
    /// build's network is the default and some RUN keeps the default too.
    var mayRunInPrivateNetwork: Bool {
        !options.networkNone && !options.networkHost && !options.chrootIsolation
            && program.stages.contains { $0.instructions.contains { if case .run(let run) = $0 { run.network == .default } else { false } } }
    }
    /// Layers taken from a `--cache-from type=…` import and not fetched yet (``LazyLayers``).
    let lazyLayers = LazyLayers()

    /// Parses and plans `options` for its platform (``BuildPlan``), then makes the executor.
    /// Throws ``BuildError``.
    public convenience init(options: BuildOptions, images: ImageService, progress: BuildProgress) throws {
        _ = try options.sourceDateEpoch()  // an invalid value is an error before anything runs
        try self.init(plan: BuildPlan(options: options), options: options, images: images, progress: progress)
    }

    /// The executor of `plan`; reads the context's `.dockerignore`. Throws ``BuildError``.
    public convenience init(plan: BuildPlan, options: BuildOptions, images: ImageService, progress: BuildProgress) throws {
        try self.init(plan: plan, options: options, images: images, progress: progress, shared: nil)
    }

    /// `shared`: the stages this plan may have in common with the other plans of a multi-platform build.
    init(plan: BuildPlan, options: BuildOptions, images: ImageService, progress: BuildProgress, shared: SharedStages?) throws {
        self.shared = shared
        self.resolvedImages = shared?.resolvedImages ?? ResolvedImages()
        self.stageKeys = try shared.map { _ in try plan.stageKeys(options: options) } ?? [:]
        self.options = options
        self.images = images
        self.progress = progress
        self.buildPlan = plan
        self.program = plan.program
        self.global = plan.global
        self.plan = plan.stages
        self.sourceDateEpoch = try options.sourceDateEpoch()
        let trace = BuildTrace(path: options.tracePath)
        self.trace = trace
        self.contextScanner = try trace.phaseSync("context-filter", step: "build") { try Self.contextScanner(options, trace: trace) }
        self.committer = LayerCommitter(store: images.store, clampTime: sourceDateEpoch, trace: trace)
        self.cache = BuildCache(store: images.store, enabled: !options.noCache)
        self.network = BuildNetwork(store: images.store)
        self.planMemo = CopyPlanMemo(directory: images.store.buildCacheDirectory.appendingPathComponent("plans"), enabled: !options.noCache)
        self.contextChecksums = FileChecksumCache(file: Self.checksumFile(images.store.location.stateDirectory, context: options.contextDirectory))
    }

    /// The checksum cache file of the build context at `context` (by its absolute path; no context:
    /// one shared file for the files other sources name).
    static func checksumFile(_ stateDirectory: URL, context: String?) -> URL {
        let path = context.map { URL(fileURLWithPath: $0).standardizedFileURL.path } ?? ""
        return stateDirectory.appendingPathComponent("checksums.v2.d")
            .appendingPathComponent(String(Digest.sha256(of: Array(path.utf8)).hex.prefix(24)))
    }

    /// Runs the build. Throws ``BuildError`` (with the instruction's range when known).
    public func build() async throws -> BuildResult {
        store.removeAbandonedScratch()  // what a killed build left, mounts included
        defer { network.stop() }
        // With --no-cache every RUN runs: start their network now, beside base image resolution.
        if options.noCache && mayRunInPrivateNetwork { network.prewarm() }
        defer {
            trace.phaseSync("save-plan-records", step: "build") { planMemo.waitForWrites() }
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

    /// The context's scanner, with the `.dockerignore` patterns it applies.
    private static func contextScanner(_ options: BuildOptions, trace: BuildTrace) throws -> ContextScanner {
        guard let context = options.contextDirectory else { return ContextScanner(root: nil, patterns: []) }
        let dockerfile = options.dockerfilePath.map { URL(fileURLWithPath: $0) }
        let patterns: [String]
        do {
            patterns = try IgnoreFile.load(contextDirectory: URL(fileURLWithPath: context), dockerfile: dockerfile).patterns
        } catch {
            throw BuildError("failed to read .dockerignore: \(error)")
        }
        if !patterns.isEmpty {
            do { _ = try PatternMatcher(patterns) } catch {
                throw BuildError("failed to read the build context with its .dockerignore: \(error)")
            }
        }
        let scanner = ContextScanner(root: context, patterns: patterns, trace: trace)
        // With patterns, the walk's errors are the build's first (as before the scan was shared);
        // without, the context is walked only when a step reads it.
        if !patterns.isEmpty { _ = try scanner.scan() }
        return scanner
    }

    /// Builds one stage: its base, the base's ONBUILD triggers, then its instructions.
    func buildStage(_ index: Int) async throws -> StageState {
        if let shared, let key = stageKeys[index] {
            return try await shared.stage(key) { try await BuildTrace.$stage.withValue(index) { try await self.buildStageSteps(index) } }
        }
        return try await BuildTrace.$stage.withValue(index) { try await buildStageSteps(index) }
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
        var titles = StepTitles(program: program, stageIndex: index, baseIsImage: fromImage)
        // A multi-platform build names the stage's platform in its titles, as BuildKit does.
        if shared != nil { titles.platform = (try? stagePlatform(index)).map(Self.platformArgValue) }
        return titles
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
        if let warning = BaseImagePlatformWarning.message(image: name, actual: image.config.platform, expected: platform, line: stage.range.start.line) {
            FileHandle.standardError.write(Data(warning.utf8))
        }
        var config = image.config
        if config.history.isEmpty { config.history = [] }
        var state = StageState(config: config, layers: image.manifest.layers, snapshots: snapshots, cacheKey: "image:\(image.id)")
        if sourceDateEpoch == nil { startBuildKitKeys(&state, image: image, platform: platform) }  // Docker's layers are not clamped
        return epochApplied(state)
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
        let platform: Platform = platform ?? buildPlan.platform
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
           !(explicit || shared != nil || options.platformRequested || !Self.samePlatform(platform, .host))
            || Self.samePlatform(local.config.platform, platform),
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
