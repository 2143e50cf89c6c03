import ConfinedFS
import ContainerRuntime
import DockerfileSyntax
import Foundation
import LayerArchive

extension Builder {
    /// RUN: the command in a container over the parent's snapshots and a fresh upper directory,
    /// which becomes the layer.
    func dispatchRun(_ run: RunInstruction, state: inout StageState, title: String, stageIndex: Int? = nil) async throws {
        let range = run.node.range
        let heredoc: RunHeredoc?
        do { heredoc = try RunHeredoc.resolve(run.command) } catch { throw BuildError.at(range, error.message) }
        var command = run.command
        if let heredoc { command.arguments = heredoc.arguments }
        let args = commandArgs(command, state)
        let history = HistoryText.run(args, buildArgs: state.buildArgs, env: state.envMap)
        let step = progress.begin(title)
        let started = Date()
        let mounts: [DockerfileSyntax.Mount]
        do {
            let snapshot = state
            mounts = try run.mounts(expandingWith: { word throws(DockerfileError) in
                do { return try self.expand(word, snapshot, range) } catch { throw DockerfileError("\(error)", range: range) }
            })
        } catch {
            throw BuildError(error.message, range: error.range ?? range)
        }
        try validateMounts(mounts, range: range)
        if let stageIndex { try checkMountsFromEarlierStages(mounts, stageIndex: stageIndex, range: range) }
        let noNetwork = options.networkNone || run.network == .none
        let hostNetwork = !noNetwork && (options.networkHost || run.network == .host)
        let insecure = run.security == .insecure
        if insecure && !options.allowInsecure {
            throw BuildError("RUN --security=insecure is not allowed: it runs the step with every capability and no seccomp "
                             + "filter (root on the host in all but name); pass `kiln build --allow security.insecure` to allow it",
                             range: range)
        }
        var env = state.runEnvironment
        if !env.contains(where: { $0.hasPrefix("PATH=") }) { env.insert("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", at: 0) }
        let key = BuildCache.key(state.cacheKey, [history, env.joined(separator: "\n"), state.workingDirectory,
                                                  state.config.config.user ?? "", noNetwork ? "none" : "host"]
                                 + (hostNetwork ? ["network=host"] : []) + (insecure ? ["security=insecure"] : []) + run.mountSpecs
                                 + (options.extraHosts.isEmpty ? [] : ["extra-hosts"] + options.extraHosts)
                                 + (try mounts.map { try mountKey($0, range: range) })
                                 + (heredoc?.script.map { ["heredoc-script", $0.name, $0.data] } ?? [])
                                 + (sandboxHostname.map { ["hostname", $0] } ?? [])
                                 + (mounts.isEmpty ? [] : ["mount-stubs-removed"])
                                 + (options.chrootIsolation ? ["isolation=chroot"] : []))
        advanceBuildKitRun(run, args: args, heredoc: heredoc != nil, state: &state)
        if try appendCachedLayer(key, history: history, state: &state, step: step, title: title, buildKitKeys: state.buildKitKeys) { return }
        // A foreign architecture runs through QEMU (binfmt_misc); without a handler, say which is missing.
        do { try BinfmtHandlers().checkRunnable(state.config.platform) } catch let error as BuildError { throw BuildError(error.message, range: range) }
        try await materializeLazy(state.snapshots)  // layers taken from an imported cache
        // Proxy build args reach the process without an ARG line, out of the cache key and history.
        env += Self.proxyEnvironment(options.buildArgs, present: env)
        let dir = try committer.scratchDirectory("run")
        defer { try? FileManager.default.removeItem(at: dir) }
        // Private: the bundle (config.json with the command line and environment) is written here.
        chmod(dir.path, 0o711)
        let network: ContainerRuntime.NetworkMode
        var resolvConf: String? = nil
        if options.chrootIsolation {
            network = .host  // no namespaces: the step shares kiln's network (ChrootRunner)
        } else if noNetwork {
            network = .none
        } else if hostNetwork {
            network = .host
        } else {
            let joined: (namespaceFile: String, resolvConf: String?)
            do { joined = try self.network.attach() } catch {
                throw BuildError.at(range, "cannot set up the RUN network (use --network host to share the host's): \(error)")
            }
            network = .joined(joined.namespaceFile)
            resolvConf = joined.resolvConf
        }
        let upper = dir.appendingPathComponent("upper").path
        let work = dir.appendingPathComponent("work").path
        for d in [upper, work, dir.appendingPathComponent("rootfs").path] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        let prepared = try await trace.phase("run-mounts", step: title) { try await prepareMounts(mounts, state: state, dir: dir, env: env, range: range) }
        let redactor = SecretRedactor(prepared.secretValues)
        var binds = prepared.binds
        env += prepared.env
        if let script = heredoc?.script {
            binds.append(try heredocScriptMount(script, dir: dir, range: range))
        }
        let userSpec = state.config.config.user ?? ""
        let cwd = state.workingDirectory
        let collector = OutputCollector(progress: progress, step: step, redactor: redactor)
        let status: Int32
        var stubs: [String] = [], mountStubs: [String] = []
        var fuseUpper = false  // fuse-overlayfs may leave .wh. files where the store refuses whiteout devices
        do {
            // Not `runStep`: Docker 20.10 keeps the mount targets RUN created (e.g. /etc on
            // scratch) in the layer; --mount targets are removed as current BuildKit does (RunMountStubs).
            let rootfs = dir.appendingPathComponent("rootfs").path
            let lowers = state.snapshots.map(\.path)
            let mount = try trace.phaseSync("mount", step: title) {
                try OverlayMount.mount(lowerDirs: lowers, upperDir: upper, workDir: work, target: rootfs, readOnly: false,
                                       volatile: true)
            }
            fuseUpper = mount.isFuse
            do {
                let user = try UserResolver.resolve(userSpec, rootfs: rootfs)
                var spec = ContainerSpec(rootfs: rootfs, args: args, env: env, cwd: cwd, user: user,
                                         hostname: sandboxHostname ?? "buildkitsandbox", network: network, mounts: binds)
                if !options.extraHosts.isEmpty {
                    spec.etcFiles = .standard(hostname: spec.hostname, network: network, extraHosts: options.extraHosts)
                }
                if let resolvConf { spec.etcFiles.resolvConf = resolvConf }
                if insecure { spec.security = .insecure }
                if options.chrootIsolation {
                    mountStubs = RunMountStubs.missing(binds.map(\.target), rootfs: rootfs)
                    status = try await trace.phase("chroot", step: title) {
                        try await runChrooted(spec, output: { collector.add($0) })
                    }
                } else {
                    let runner = ContainerRunner(runtime: try OCIRuntime.detect(),
                                                 stateDirectory: store.location.runtimeStateDirectory().path)
                    stubs = ContainerRunner.missingMountpoints(spec).filter(Self.removedStubs.contains)
                    mountStubs = RunMountStubs.missing(binds.map(\.target), rootfs: rootfs)
                    status = try await trace.phase("container", step: title) {
                        try await runner.run(spec, id: "kiln-\(UInt64.random(in: 0...UInt64.max))",
                                             bundleParent: prepared.privateDirectory ?? dir.path,
                                             unmountOnDeath: [rootfs], output: { collector.add($0) })
                    }
                }
            } catch {
                try? mount.unmount()
                throw error
            }
            try trace.phaseSync("unmount", step: title) { try mount.unmount() }
            Self.removeStubs(stubs, upperDir: upper)
            RunMountStubs.remove(mountStubs, upperDir: upper)
        } catch {
            await prepared.release()
            throw BuildError.at(range, redactor.redact("failed to run the container: \(error)"))
        }
        await prepared.release()
        collector.finish()
        guard status == 0 else {
            throw BuildError(redactor.redact("process \"\(args.joined(separator: " "))\" did not complete successfully: exit code: \(status)"),
                             range: range, details: collector.lastLines(10))
        }
        let entries = try trace.phaseSync("diff", step: title) { try LayerDiff.entries(fromOverlayUpper: upper, options: LayerDiffOptions(whiteoutFiles: fuseUpper)) }
        // The upper directory is discarded after this: the snapshot takes its files by rename.
        let (layer, diffID) = try await committer.commit(entries, onto: &state, step: title, discardable: upper)
        let record = BuildCache.Record(layer: layer, diffID: diffID)
        cache.save(key, record)
        progress.done(step, since: started)
        state.record(history, emptyLayer: false, layerCreated: record.created)
        state.cacheKey = key
    }

    /// The RUN hostname the `BUILDKIT_SANDBOX_HOSTNAME` build arg sets (BuildKit's dockerui reads it
    /// like the `hostname` frontend option; moby/buildkit#1301, frontend test
    /// testDockerfileCheckHostname); nil: `buildkitsandbox`.
    var sandboxHostname: String? {
        guard let name = options.buildArgs["BUILDKIT_SANDBOX_HOSTNAME"], !name.isEmpty else { return nil }
        return name
    }

    /// The mount targets BuildKit (v0.8, Docker 20.10) removes again after a RUN when it had to create
    /// them as empty stubs (its `MountStubsCleaner`): a base without /etc/hosts gets no empty
    /// /etc/hosts in the RUN's layer (nor /etc/hostname, which it does not mount). Other targets
    /// (/etc itself on scratch, --mount targets) stay.
    static let removedStubs: Set<String> = ["/etc/hosts", "/etc/resolv.conf", "/etc/hostname"]

    /// Removes each of `stubs` from `upperDir` while it is still an empty regular file. Only the file:
    /// like BuildKit, the copy-up of /etc that creating it caused stays in the layer.
    /// The upper directory is read without following any symlink the step left (`.noSymlinks`).
    static func removeStubs(_ stubs: [String], upperDir: String) {
        guard let upper = try? ConfinedRoot(upperDir, policy: .noSymlinks) else { return }
        for path in stubs {
            guard let info = (try? upper.lstat(path)) ?? nil, info.st_mode & S_IFMT == S_IFREG, info.st_size == 0 else { continue }
            try? upper.remove(path)
        }
    }
}

/// Collects a RUN's output: shown as progress lines, the last lines kept for errors.
final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var text = ""
    private let progress: BuildProgress
    private let step: Int
    private let redactor: SecretRedactor

    init(progress: BuildProgress, step: Int, redactor: SecretRedactor = SecretRedactor([])) {
        self.progress = progress
        self.step = step
        self.redactor = redactor
    }

    /// With secrets, redacted output is shown in whole lines (the redactor holds back a tail).
    private var partialLine: [UInt8] = []

    /// Shows what the redactor still holds back (call once the process exited).
    func finish() {
        guard !redactor.isEmpty else { return }
        let rest = partialLine + redactor.flush()
        partialLine = []
        if !rest.isEmpty { show(rest) }
    }

    func add(_ bytes: [UInt8]) {
        guard !redactor.isEmpty else { return show(bytes) }
        lock.lock()
        partialLine += redactor.feed(bytes)
        var complete: [UInt8] = []
        if let newline = partialLine.lastIndex(of: 0x0A) {
            complete = Array(partialLine[...newline])
            partialLine.removeFirst(newline + 1)
        }
        lock.unlock()
        if !complete.isEmpty { show(complete) }
    }

    private func show(_ bytes: [UInt8]) {
        let chunk = String(decoding: bytes, as: UTF8.self)
        lock.lock()
        text += chunk
        if text.count > 65536 { text = String(text.suffix(32768)) }
        lock.unlock()
        progress.output(step, bytes)
    }

    func lastLines(_ n: Int) -> [String] {
        lock.lock(); defer { lock.unlock() }
        // "\r\n" is one Character in Swift: split on both.
        return text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }).suffix(n).map(String.init)
    }
}
