import ArgumentParser
import Attestations
import ContainerRuntime
import Builder
import Foundation
import ImageSpec
import Images
import LayerVariants

/// `kiln build [OPTIONS] PATH | -`, as `docker build` with BuildKit.
struct BuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "build", abstract: "Build an image from a Dockerfile")

    @OptionGroup var store: StoreOptions
    @OptionGroup var compression: CompressionOptions
    @OptionGroup var attestations: AttestOptions

    @Option(name: .shortAndLong, help: ArgumentHelp("Name of the Dockerfile (default: PATH/Dockerfile)", valueName: "string"))
    var file: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("Name and optionally a tag in the 'name:tag' format", valueName: "list"))
    var tag: [String] = []

    @Option(name: .customLong("build-arg"), help: ArgumentHelp("Set build-time variables", valueName: "list"))
    var buildArgs: [String] = []

    @Option(help: ArgumentHelp("Set the target build stage to build", valueName: "string"))
    var target: String?

    @Flag(name: .customLong("no-cache"), help: "Do not use cache when building the image")
    var noCache = false

    @Option(help: ArgumentHelp("Write each step's phases (resolve, cache lookup, mount, container, diff, commit) with start and duration to FILE, in Chrome trace format (chrome://tracing, Perfetto)", valueName: "FILE"))
    var trace: String?

    @Flag(help: "Always attempt to pull a newer version of the image")
    var pull = false

    @Option(help: ArgumentHelp("Set the networking mode for the RUN instructions during build: default (a private network per build), host, none", valueName: "string"))
    var network: String?

    @Option(help: ArgumentHelp("Allow extra privileged entitlement (e.g., \"network.host\", \"security.insecure\")", valueName: "stringArray"))
    var allow: [String] = []

    @Option(help: ArgumentHelp("Set metadata for an image", valueName: "list"))
    var label: [String] = []

    @Flag(name: .shortAndLong, help: "Suppress the build output and print image ID on success")
    var quiet = false

    @Option(help: ArgumentHelp("Set type of progress output (auto, plain, tty, quiet, rawjson). Use plain to show container output", valueName: "string"))
    var progress: String = "auto"

    @Option(help: ArgumentHelp("How RUN steps are isolated (auto, oci, rootless, chroot); an unavailable one is refused", valueName: "string"))
    var isolation: String = "auto"

    @Option(name: .shortAndLong, help: ArgumentHelp("Output destination (format: type=local,dest=path)", valueName: "stringArray"))
    var output: [String] = []

    @Option(help: ArgumentHelp("Write the image ID to the file", valueName: "string"))
    var iidfile: String?

    @Option(help: ArgumentHelp("Set target platform(s) for build: one, or several separated by commas (linux/amd64,linux/arm64) for one image index", valueName: "string"))
    var platform: String?

    @Flag(help: "Push the image to its registry after the build (every -t name)")
    var push = false

    @Option(help: ArgumentHelp("OCI runtime for RUN steps: runc, crun or a path (default: $KILN_RUNTIME, else the first that works)", valueName: "string"))
    var runtime: String?

    @Option(name: .customLong("build-context"), help: ArgumentHelp("Additional build contexts (e.g., name=path, name=docker-image://ref, name=oci-layout://path[:tag|@digest], name=https://host/repo.git#ref)", valueName: "stringArray"))
    var buildContexts: [String] = []
    @Option(help: ArgumentHelp("Secret to expose to the build (format: \"id=mysecret[,src=/local/secret]\" or \"id=mysecret,env=VAR\")", valueName: "stringArray"))
    var secret: [String] = []

    @Option(help: ArgumentHelp("SSH agent socket or keys to expose to the build (format: default|<id>[=<socket>|<key>[,<key>]])", valueName: "stringArray"))
    var ssh: [String] = []

    @Option(name: .customLong("add-host"), help: ArgumentHelp("Add a custom host-to-IP mapping (host:ip; ip may be host-gateway) to RUN steps", valueName: "list"))
    var addHost: [String] = []

    @Option(name: .customLong("cache-from"), help: ArgumentHelp("Images to consider as cache sources (pulled when missing)", valueName: "stringArray"))
    var cacheFrom: [String] = []

    @Option(name: .customLong("cache-to"), help: ArgumentHelp("Cache export destinations (e.g., \"type=registry,ref=REG/REPO:TAG,mode=max\", \"type=local,dest=DIR\", \"type=inline\")", valueName: "stringArray"))
    var cacheTo: [String] = []

    @Argument(help: ArgumentHelp("The build context: a directory, or - for a Dockerfile or tar on stdin", valueName: "PATH | -"))
    var context: String

    func run() async throws {
        let startedOn = Date()
        let outputs: [BuildOutputSpec]
        let attest: AttestationRequest
        do {
            outputs = try output.map(BuildOutputSpec.init(parsing:))
            attest = try attestations.request()
        } catch {
            printError("ERROR: \(error)")
            throw ExitCode(1)
        }
        if let network, !["default", "none", "host", "bridge"].contains(network) {
            printError("ERROR: network mode \"\(network)\" not supported by kiln build (use default, host or none)")
            throw ExitCode(1)
        }
        for entitlement in allow where !["network.host", "security.insecure"].contains(entitlement) {
            printError("ERROR: invalid entitlement \"\(entitlement)\" for --allow (known: network.host, security.insecure)")
            throw ExitCode(1)
        }
        if let runtime { setenv("KILN_RUNTIME", runtime, 1) }  // OCIRuntime.detect() and IsolationSupport read it
        let namespaceState = UserNamespaceEntry.state()
        let isolationSupport = IsolationSupport.current(state: namespaceState)
        let chosenIsolation: Isolation
        switch Isolation.resolve(isolation, state: namespaceState, support: isolationSupport) {
        case .failure(let refusal):
            printError("ERROR: \(refusal.message)")
            throw ExitCode(1)
        case .success(let chosen):
            if let runtime, chosen == .chroot, !isolationSupport.runtime {  // asked for a runtime: never build without it
                printError("ERROR: --runtime \(runtime): not found (a name on PATH or an executable's path)")
                throw ExitCode(1)
            }
            chosenIsolation = chosen
            // Root's default build output is unchanged; otherwise the first line names the isolation.
            if !quiet, chosen != .oci || isolation != "auto" {
                let line = chosen == .chroot && isolation == "auto" ? Isolation.autoChrootLine(state: namespaceState, support: isolationSupport) : chosen.progressLine
                printError("#0 \(line)")
            }
        }
        if push && tag.isEmpty {
            printError("ERROR: --push needs a name (-t)")
            throw ExitCode(1)
        }
        let input = try BuildInput.prepare(context: context, file: file)
        defer { input.cleanup() }
        var options = BuildOptions(dockerfileText: input.dockerfileText, dockerfileName: input.dockerfileName,
                                   dockerfilePath: input.dockerfilePath, contextDirectory: input.contextDirectory)
        options.chrootIsolation = chosenIsolation == .chroot
        for arg in buildArgs {
            let parts = arg.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0])
            if parts.count > 1 {
                options.buildArgs[key] = String(parts[1])
            } else if let value = ProcessInfo.processInfo.environment[key] {
                options.buildArgs[key] = value
            }
        }
        // Buildx: SOURCE_DATE_EPOCH from the environment unless given as --build-arg.
        options.adoptSourceDateEpoch(fromEnvironment: ProcessInfo.processInfo.environment)
        for l in label {
            let parts = l.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            options.labels[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        let namedContexts = try BuildContextFlags.parse(buildContexts)
        do {
            for text in secret {
                let spec = try SecretSpec(parsing: text)
                options.secrets[spec.id] = try spec.load()
            }
            for text in ssh {
                let spec = try SSHSpec(parsing: text)
                options.ssh[spec.id] = spec
            }
        } catch let error as BuildError {
            printError("ERROR: \(error.message)")
            throw ExitCode(1)
        }
        options.extraHosts = AddHosts.hostsLines(try AddHosts.parse(addHost, privateNetwork: false, status: 1))
        let cacheExports: [CacheExportFlag]
        do {
            let compression = try self.compression.resolved()
            cacheExports = try cacheTo.map { try CacheExportFlag(parsing: $0, compression: compression) }
            try CacheImportFlag.validate(cacheFrom)
        } catch {
            printError("ERROR: \(error)")
            throw ExitCode(1)
        }
        options.recordsCacheAliases = !cacheExports.isEmpty
        options.target = target
        options.noCache = noCache
        options.tracePath = trace
        options.pull = pull
        options.networkNone = network == "none"
        options.networkHost = network == "host"
        options.allowInsecure = allow.contains("security.insecure")
        let platforms = try platform.map(Self.parsePlatforms) ?? []
        if platforms.count == 1 { options.platform = platforms[0] }
        options.platformRequested = !platforms.isEmpty
        let tags = try tag.map { try ImageCommandSupport.reference($0) }
        let compression = try self.compression.resolved()
        let mode = try BuildProgressMode.parse(progress, quiet: quiet)
        let reporter = BuildProgress(display: mode.display())
        let id: Digest
        do {
            defer { reporter.finish() }
            id = try await ImageCommandSupport.withService(store, progress: reporter) { service in
                // The terminal view stops drawing before anything prints an error.
                defer { reporter.finish() }
                var options = options
                options.namedContexts = try await BuildContextFlags.load(namedContexts, store: service.store)
                options.cacheImports = await CacheImportFlag.load(cacheFrom.filter(CacheImportFlag.isSpec), service: service)
                options.cacheFrom = try await CacheFromFlag.load(cacheFrom.filter { !CacheImportFlag.isSpec($0) }, platform: options.platform,
                                                                 service: service, imports: &options.cacheImports)
                var result: BuildResult
                let builder: Builder
                do {
                    if platforms.count > 1 {
                        // One plan per platform, one image index (BuildCommand+Platforms.swift).
                        // Inline caches, attestations and --cache-to: BuildCommand+PlatformAttachments.swift.
                        var built = try await MultiPlatformBuild(options: options, platforms: platforms).build(images: service, progress: reporter)
                        built = try await Self.attach(to: built, cacheExports: cacheExports, attest: attest,
                                                      invocation: .init(options: options, startedOn: startedOn), tags: tags,
                                                      compression: compression, service: service)
                        try await Self.exportIndex(built, tags: tags, outputs: outputs, push: push, compression: compression,
                                                   service: service, reporter: reporter)
                        do {
                            try await Self.exportCache(of: built, to: cacheExports, service: service)
                        } catch let error as CacheExportError {
                            reporter.finish()
                            printError("ERROR: \(error)")
                            throw ExitCode(1)
                        }
                        return built.index.digest
                    }
                    builder = try Builder(options: options, images: service, progress: reporter)
                    result = try await builder.build()
                } catch let error as BuildError {
                    reporter.failRunning(error.message)
                    reporter.finish()
                    printError(error.render(file: input.dockerfileName, source: input.dockerfileText)
                               + ImageCommandSupport.diskFullHint(error, store: service.store.location.root.path))
                    throw ExitCode(1)
                }
                if cacheExports.contains(where: \.isInline) {
                    result = try InlineCacheExport.apply(result, entries: builder.cacheEntries(allStages: false, result: result), service: service)
                    builder.recordCacheUse(for: result.id)
                }
                // Layers taken from an imported cache stay remote when the image only goes to a registry.
                if !(push && outputs.isEmpty) || !attest.isEmpty { try await builder.fetchLazyLayers(of: result) }
                // --sbom/--provenance: the image leaves as an index with its attestations (BuildKit's layout).
                let top = attest.isEmpty ? nil : try BuildAttestations.attach(
                    result, request: attest, invocation: .init(options: options, startedOn: startedOn), tags: tags,
                    compression: compression, service: service)
                try await Self.export(result, image: top, tags: tags, outputs: outputs, push: push, compression: compression,
                                      service: service, reporter: reporter, remoteBlobs: builder.lazyBlobSources)
                do {
                    for spec in cacheExports { try await spec.export(builder, result: result, service: service) }
                } catch let error as CacheExportError {
                    reporter.finish()
                    printError("ERROR: \(error)")
                    throw ExitCode(1)
                }
                return result.id
            }
        }
        if let iidfile {
            try Data(id.description.utf8).write(to: URL(fileURLWithPath: iidfile))
        }
        if mode == .quiet {
            printOut(id.description)
        } else if mode == .plain {
            printError(String(format: "Build finished in %.1fs", reporter.totalSeconds))
        }
    }

    /// BuildKit's last step, `exporting to image` (writing, naming, outputs), then one step per push.
    /// `image`: what to name, export and push when it is not the built manifest itself (an index
    /// holding it and its attestations).
    static func export(_ result: BuildResult, image: Descriptor? = nil, tags: [ImageReference], outputs: [BuildOutputSpec], push: Bool,
                       compression: ExportCompression, service: ImageService, reporter: BuildProgress,
                       remoteBlobs: [Digest: RemoteBlob] = [:]) async throws {
        let top = image ?? result.manifestDescriptor
        let step = reporter.begin("exporting to image")
        let written = Date()
        reporter.status(step, BuildStatus(id: "writing image \(result.id.description)", started: written, completed: written))
        for reference in tags {
            // A no-op rebuild writes nothing: a tag that already names the image is left as it is.
            if try service.store.resolve(reference)?.digest != top.digest {
                try await service.store.tag(reference, top)
            }
            let now = Date()
            reporter.status(step, BuildStatus(id: "naming to \(reference.description)", started: now, completed: now))
        }
        for spec in outputs {
            try await spec.write(result, image: top, service: service, tags: tags, compression: compression)
        }
        reporter.done(step)
        guard push else { return }
        for reference in tags {
            guard let image = try await service.localImage(reference.description) else { continue }
            let pushing = reporter.begin("pushing \(reference.familiar) with docker")
            let digest = try await BuildProgress.$currentStep.withValue(pushing) {
                top.mediaType.isIndex ? try await service.pushIndex(top, to: reference, compression: compression)
                    : try await service.push(image, to: reference, compression: compression, remoteBlobs: remoteBlobs)
            }
            let now = Date()
            reporter.status(pushing, BuildStatus(id: "pushing \(reference.familiar): digest: \(digest)", started: now, completed: now))
            reporter.done(pushing)
        }
    }
}
