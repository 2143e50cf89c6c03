import DockerfileSyntax
import Foundation
import ImageSpec
import Images

/// The BuildKit chain keys of a stage's steps (``BuildKitKeys``), so a build finds the layers of
/// a cache Docker 20.10 exported. kiln's own keys stay what they are; these are a second key per
/// step, asked only of imported caches when the kiln key misses. Steps kiln does not key this way
/// yet (COPY/ADD, RUN with flags or heredocs, WORKDIR under a USER, a scratch stage) end the
/// chain: that step and every later one in the stage are found by kiln keys only.
extension Builder {
    /// Starts the chain at a base image: its keys and BuildKit's initial environment (the
    /// config's Env, with a default PATH appended when it has none).
    func startBuildKitKeys(_ state: inout StageState, image: LocalImage, platform: Platform) {
        var manifests = [image.manifestDescriptor.digest]
        for reference in image.repoDigests { if let digest = reference.digest, !manifests.contains(digest) { manifests.append(digest) } }
        state.buildKitKeys = BuildKitKeys.imageRoots(manifestDigests: manifests, platform: platform, diffIDs: image.diffIDs)
        state.buildKitTrail = BuildKitTrail(roots: state.buildKitKeys)
        state.buildKitEnv = []
        var env = image.config.config.env
        if !env.contains(where: { $0.hasPrefix("PATH=") }) { env.append("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") }
        for entry in env {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            state.setBuildKitEnv(String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }
    }

    /// Follows a config-only instruction: ENV and ARG set variables of RUN's environment; the
    /// others change no LLB op.
    func noteBuildKitMetadata(_ instruction: Instruction, state: inout StageState) {
        guard !state.buildKitKeys.isEmpty else { return }
        var names: [String] = []
        switch instruction {
        case .env(let env):
            names = env.pairs.map { (try? expand($0.key, state, env.node.range)) ?? $0.key }
        case .arg(let arg):
            names = arg.args.map(\.key).filter { name in state.buildArgs.last { $0.name == name }?.value != nil }
        case .onbuild:
            return
        default:
            return
        }
        for name in names {
            guard let value = state.env.last(where: { $0.name == name })?.value else { continue }
            state.setBuildKitEnv(name, value)
        }
    }

    /// Sets the chain keys for a RUN of `args` (kiln's argv for it), or ends the chain when kiln
    /// does not key such a RUN the BuildKit way.
    func advanceBuildKitRun(_ run: RunInstruction, args: [String], heredoc: Bool, state: inout StageState) {
        guard !state.buildKitKeys.isEmpty, run.mountSpecs.isEmpty, run.flagsUsed.isEmpty, !heredoc,
              options.extraHosts.isEmpty, sandboxHostname == nil else { state.buildKitKeys = []; return }
        let network = options.networkNone ? 2 : options.networkHost ? 1 : 0
        let record = BuildKitKeys.execRecord(args: args, env: state.buildKitEnv.map { "\($0.name)=\($0.value)" },
                                             cwd: state.workingDirectory, user: state.config.config.user ?? "",
                                             network: network, platform: state.config.platform)
        advance(&state, record: record, content: nil)
    }

    /// Sets the chain keys for WORKDIR `path` (absolute, not `/`), or ends the chain under a USER
    /// (BuildKit then names the owner in the mkdir, which kiln does not key yet).
    func advanceBuildKitWorkdir(_ path: String, state: inout StageState) {
        guard !state.buildKitKeys.isEmpty, (state.config.config.user ?? "").isEmpty else { state.buildKitKeys = []; return }
        advance(&state, record: BuildKitKeys.mkdirRecord(path: path), content: nil)
    }

    /// The state after a step that adds one layer: its chain keys and its record in the trail.
    func advance(_ state: inout StageState, record: String, content: String?) {
        let trail = state.buildKitTrail
        state.buildKitKeys = state.buildKitKeys.map { parent in
            content.map { BuildKitKeys.copyChain(parent, record: record, content: $0) } ?? BuildKitKeys.chain(parent, record: record)
        }
        state.buildKitTrail = trail.map {
            var t = $0
            t.steps.append(.init(record: record, content: content, layer: state.config.rootfs.diffIDs.count))
            return t
        }
    }
}

extension Builder {
    /// The chain keys after `COPY|ADD SOURCE… DEST` of context paths (no wildcard, URL, `--from`,
    /// `--chown`, symbolic `--chmod`, heredoc, nor a `.dockerignore`), or none. Reads the sources'
    /// content (BuildKit's checksum), so only when a cache is imported or exported.
    func advanceBuildKitCopy(_ op: CopyOperands, sources: [String], destination: String, state: inout StageState) throws {
        guard try !advanceBuildKitCopyKeys(op, sources: sources, destination: destination, state: &state) else { return }
        state.buildKitKeys = []
    }

    private func advanceBuildKitCopyKeys(_ op: CopyOperands, sources: [String], destination: String, state: inout StageState) throws -> Bool {
        guard !state.buildKitKeys.isEmpty, options.cacheImports.count > 0 || options.recordsCacheAliases, op.from == nil, op.chown == nil,
              !op.link, op.contents.isEmpty, op.excludes.isEmpty, !op.parents, op.unpack == nil, op.checksum == nil, !op.keepGitDir,
              !sources.isEmpty, !sources.contains(where: { $0.contains(where: { "*?[\\".contains($0) }) || CopyOperands.isURL($0) }),
              let context = options.contextDirectory else { return false }
        let included = try contextIncluded
        let (octal, symbolic) = try chmodMode(op, state, op.range)
        guard symbolic == nil else { return false }
        let paths = sources.map { BuildKitKeys.goClean("/" + $0) }
        var checksums: [Digest] = []
        for path in BuildKitKeys.contentPaths(paths) {
            // Remembered by the context's fingerprint, as COPY plans are: an unchanged context is not read again.
            let memoKey = BuildCache.key("buildkit-content-v1", [path])
            let fingerprint: Digest? = try contextScanner.scan().fingerprint
            if let fingerprint, let known = planMemo.lookup(memoKey, fingerprint: fingerprint).flatMap({ Digest($0) }) {
                checksums.append(known)
            } else {
                guard let computed = try? ContextContentHash.checksum(root: context, path: path, included: included) else { return false }
                checksums.append(computed)
                if let fingerprint { planMemo.save(memoKey, fingerprint: fingerprint, checksum: computed.description) }
            }
        }
        let record = BuildKitKeys.copyRecord(sources: paths, destination: BuildKitKeys.copyDestination(destination, workingDirectory: state.workingDirectory),
                                             mode: octal.map { Int32($0) }, add: op.isAdd)
        advance(&state, record: record, content: BuildKitKeys.contentRecord(checksums: checksums))
        return true
    }
}
