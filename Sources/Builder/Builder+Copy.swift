import ContextFilter
import CopyPlanner
import DockerfileSyntax
import Foundation
import ImageSpec
import LayerArchive
import ShellWords

extension Builder {
    /// COPY/ADD: plans the layer with CopyPlanner, reuses a cached layer for the same sources.
    func dispatchCopy(_ op: CopyOperands, state: inout StageState, title: String, stageIndex: Int) async throws {
        let range = op.range
        if let git = try addGitSource(op, state) {
            state.buildKitKeys = []  // not keyed the BuildKit way (Builder+BuildKitKeys)
            return try await dispatchAddGit(git, op, state: &state, title: title)
        }
        let checksum = try addChecksum(op, state)
        let step = progress.begin(title)
        let started = Date()
        let sources = try op.sources.map { try expand($0, state, range) }
        let destination = try expand(op.destination, state, range)
        let history = CopyHistory.text(op, sources: sources, destination: destination)
        // A cache Docker exported holds this copy under BuildKit's key: found without planning
        // (nor fetching the layers below), recorded under a kiln key derived from it.
        try advanceBuildKitCopy(op, sources: sources, destination: destination, state: &state)
        if let first = state.buildKitKeys.first,
           try appendCachedLayer(BuildCache.key(state.cacheKey, ["buildkit-copy-v1", first]), history: history, state: &state,
                                 step: step, title: title, buildKitKeys: state.buildKitKeys) {
            return
        }
        let scratch = try committer.scratchDirectory("copy")
        var mounts: [RootMount] = []
        defer {
            for m in mounts { m.unmount() }
            try? TreeRemoval.remove(scratch.path)  // an ADDed archive's names may be longer than PATH_MAX
        }
        // A copy from a stage: its alias key needs no file of either filesystem (``CopyAlias``).
        let stageSource = try op.from.flatMap { raw in
            StagePlan.stageIndex(try expand(raw, state, range), stages: program.stages, before: stageIndex).flatMap { finished[$0] }
        }
        let stageAlias = stageSource.flatMap { source in
            op.link || !(options.recordsCacheAliases || hasLazyLayers(state.snapshots) || hasLazyLayers(source.snapshots)) ? nil
                : CopyAlias.stageKey(op, state: state, source: source, history: history, sources: sources, destination: destination)
        }
        if let stageAlias, let key = options.cacheImports.aliases[stageAlias],
           try appendCachedLayer(key, history: history, state: &state, step: step, title: title) {
            lazyLayers.recordAlias(stageAlias, key)
            return
        }
        // Layers below taken lazily from an imported cache are fetched only when the copy's alias
        // key misses (``CopyAlias``): planning against the image's filesystem needs their files.
        let lazyBelow = hasLazyLayers(state.snapshots)
        // The image's current filesystem (destination checks, --chown names).
        var destinationRoot = lazyBelow ? nil : try trace.phaseSync("mount", step: title) { try mountDestination(state, scratch: scratch, mounts: &mounts) }
        // Where the sources come from (heredoc sources are planned on their own, below).
        var tree: CopySourceTree?
        var planSources = sources
        var fromKey = op.contents.isEmpty ? "context" : "heredoc"
        var readsContext = false
        if sources.isEmpty {
            tree = nil
        } else if let rawFrom = op.from {
            let from = try expand(rawFrom, state, range)
            var lowers: [URL] = []
            var contextTree: CopySourceTree?
            if let index = StagePlan.stageIndex(from, stages: program.stages, before: stageIndex), let source = finished[index] {
                try await materializeLazy(source.snapshots)
                lowers = source.snapshots
                fromKey = "stage:" + source.cacheKey
            } else if let named = namedContext(for: from) {
                switch try await namedContextSource(named, scratch: scratch, range: range) {
                case .lowers(let l, let key):
                    lowers = l
                    fromKey = key
                case .directory(let dir, let included, let key):
                    contextTree = Self.contextTree(dir, included: included)
                    fromKey = key
                }
            } else {
                try checkNotLaterStage(from, stageIndex: stageIndex, range: range)
                let image = try await resolveImage(from, range: range)
                lowers = try await images.snapshots(for: image)
                fromKey = "image:\(image.id)"
            }
            let root = scratch.appendingPathComponent("from").path
            if contextTree != nil {
                // A directory context: read in place.
            } else if lowers.isEmpty {
                try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            } else {
                mounts.append(try RootMount.mount(lowers: lowers.map(\.path), upper: nil, work: nil, target: root))
            }
            tree = contextTree ?? CopySourceTree(root: root, isContext: false)
        } else if op.isAdd, sources.contains(where: CopyOperands.isURL) {
            let dl = scratch.appendingPathComponent("download")
            try FileManager.default.createDirectory(at: dl, withIntermediateDirectories: true)
            planSources = []
            for source in sources {
                guard CopyOperands.isURL(source) else {
                    throw BuildError.at(range, "ADD cannot mix URLs and local files in kiln")
                }
                planSources.append(try await download(source, into: dl, checksum: checksum, range: range))
            }
            tree = CopySourceTree(root: dl.path, isContext: true)
            fromKey = "url"
        } else {
            guard let context = options.contextDirectory else {
                throw BuildError.at(range, "\(op.keyword) needs a build context, but none was given")
            }
            let included = try contextIncluded
            readsContext = true
            // The walk already decided which excluded directories are sent (kept).
            tree = CopySourceTree(root: context, isContext: true, excluded: { path in
                guard let included else { return false }
                return !included.contains(path)
            }, keepsExcludedDirectory: { _ in false }, checksumCache: contextChecksums)
        }
        // BuildKit links (merges a layer made on scratch, without /etc/passwd) only without --chmod.
        let link = op.link && op.chmod == nil
        let (mode, symbolicMode) = try chmodMode(op, state, range)
        let isURL = fromKey == "url"
        let (planTree, planPaths, planState) = (tree, planSources, state)
        func planned<T>(_ make: () throws -> T) throws -> T {
            do { return try make() } catch let error as BuildError { throw error } catch { throw BuildError.at(range, "\(error)") }
        }
        let copyRequest = { (owner: (uid: UInt32, gid: UInt32)?) in
            CopyRequest(sources: planPaths, destination: destination, workingDirectory: planState.workingDirectory,
                        owner: owner, mode: mode ?? (isURL && symbolicMode == nil ? 0o600 : nil), isAdd: op.isAdd && (op.unpack ?? !isURL),
                        excludePatterns: op.excludes, parents: op.parents, symbolicMode: symbolicMode)
        }
        let planSourceTree = { (tree: CopySourceTree, root: String?, owner: (uid: UInt32, gid: UInt32)?, unpack: URL) throws -> CopyPlan in
            try FileManager.default.createDirectory(at: unpack, withIntermediateDirectories: true)
            return try CopyPlanner.plan(copyRequest(owner), from: tree, destinationRoot: root, scratch: unpack.path)
        }
        let planHeredocs = { (root: String?, owner: (uid: UInt32, gid: UInt32)?, unpack: URL) throws -> CopyPlan? in
            guard !op.contents.isEmpty else { return nil }
            try FileManager.default.createDirectory(at: unpack, withIntermediateDirectories: true)
            let heredocs = try self.writeHeredocSources(op, state: planState, into: scratch.appendingPathComponent("heredoc"))
            // Each inline document is a 0644 file of its own, copied after the path sources.
            let request = CopyRequest(sources: heredocs.sources, destination: destination,
                                      workingDirectory: planState.workingDirectory, owner: owner, mode: mode,
                                      symbolicMode: symbolicMode)
            return try CopyPlanner.plan(request, from: heredocs.tree, destinationRoot: root, scratch: unpack.path)
        }
        func keyParts(_ digests: [String], owner: (uid: UInt32, gid: UInt32)?) -> [String] {
            [history, fromKey, "\(String(describing: owner))", "\(String(describing: mode))" + (symbolicMode ?? ""),
             digests.joined(separator: "\n"), op.excludes.joined(separator: "\n"), "\(op.parents)"]
                + (op.unpack.map { ["unpack=\($0)"] } ?? [])
        }
        let aliasKey = stageAlias ?? (link || !(lazyBelow || options.recordsCacheAliases) ? nil
            : CopyAlias.key(op, state: state, parts: { owner in
                let unpack = scratch.appendingPathComponent("unpack-alias")
                let plans = [try planTree.map { try planSourceTree($0, nil, owner, unpack) }, try planHeredocs(nil, owner, unpack)]
                return keyParts(plans.compactMap { $0?.sourceDigest.description }, owner: owner)
            }, owner: { try self.chownOwner(op, state, range, rootfs: nil, linked: false) }))
        if lazyBelow && !link {
            if let aliasKey, let key = options.cacheImports.aliases[aliasKey],
               try appendCachedLayer(key, history: history, state: &state, step: step, title: title) {
                lazyLayers.recordAlias(aliasKey, key)
                return
            }
            try await materializeLazy(state.snapshots)
            destinationRoot = try trace.phaseSync("mount", step: title) { try mountDestination(state, scratch: scratch, mounts: &mounts) }
        }
        let owner = try chownOwner(op, state, range, rootfs: destinationRoot, linked: link)
        let planRoot = link ? nil : destinationRoot
        let unpack = scratch.appendingPathComponent("unpack")
        let planStarted = DispatchTime.now().uptimeNanoseconds
        // The context's sources: their checksum from the memo when the context is as it was.
        var treePlan: CopyPlan?
        var treeDigest: String?
        var incrementalPlan = false
        var linkKey: String?  // the snapshot links' key (``SnapshotLinks``): the step without its sources' content
        if let planTree {
            // The layer key's own parts (history, source, owner, mode, excludes, --parents, --unpack)
            // without the checksum, plus what the checksum itself depends on: one list, so the two keys
            // cannot drift apart.
            let memoKey = BuildCache.key(state.cacheKey, ["copy-plan"] + keyParts([], owner: owner)
                + ["sources"] + planSources + [destination, state.workingDirectory, "\(op.isAdd)", "\(link)"])
            linkKey = memoKey
            var fingerprint: Digest?
            var listing: ContextListing?
            var candidate: Digest?
            var racy: [String] = []
            if readsContext {
                let scan = try contextScanner.scan()
                (fingerprint, listing, candidate, racy) = (scan.fingerprint, scan.listing, scan.candidate, scan.racyPaths)
            }
            let memo = fingerprint.flatMap { planMemo.lookupMemo(memoKey, fingerprint: $0) }
            if let memo, memo.racyDigest == nil {
                treeDigest = memo.checksum
            } else if let fingerprint, let memo, let racyDigest = memo.racyDigest,
                      (try? IncrementalCopyPlanner.racyDigest(copyRequest(owner), from: planTree, destinationRoot: planRoot,
                                                              scratch: unpack.path, paths: memo.racyPaths))??.description == racyDigest {
                // Recorded under an unsettled scan whose fingerprint this settled one equals, and the
                // paths that were racy then give the entries they gave: the checksum holds (see
                // ContextScanner.scan). Kept as a plain memo from now on.
                treeDigest = memo.checksum
                planMemo.save(memoKey, fingerprint: fingerprint, checksum: memo.checksum)
            } else {
                // A context copy whose record is known re-reads only the changed paths; else (and
                // for other copies) the full plan.
                let incremental = try listing.flatMap { listing in
                    let previous = trace.phaseSync("plan-record-load", step: title) { planMemo.entries(memoKey) }
                    return try planned {
                        try FileManager.default.createDirectory(at: unpack, withIntermediateDirectories: true)
                        return try IncrementalCopyPlanner.plan(copyRequest(owner), from: planTree, destinationRoot: planRoot,
                                                               scratch: unpack.path, listing: listing, previous: previous,
                                                               settleNanoseconds: ContextScan.settleNanoseconds, racy: Set(racy))
                    }
                }
                if let incremental, incremental.recordChanged { planMemo.saveEntriesInBackground(memoKey) { incremental.record() } }
                incrementalPlan = incremental != nil
                let made = try incremental?.plan ?? planned { try planSourceTree(planTree, planRoot, owner, unpack) }
                treePlan = made
                treeDigest = made.sourceDigest.description
                if let fingerprint {
                    planMemo.save(memoKey, fingerprint: fingerprint, checksum: made.sourceDigest.description)
                } else if let candidate, let incremental, incremental.racyPaths.count <= 1000 {
                    // An unsettled scan: the memo holds what its racy paths gave, read again before use
                    // (not when most of a large context just changed: the next plan reads them anyway).
                    planMemo.save(memoKey, fingerprint: candidate, memo: .init(checksum: made.sourceDigest.description,
                                                                              racyDigest: incremental.racyDigest.description,
                                                                              racyPaths: incremental.racyPaths))
                }
            }
        }
        let heredocPlan = try planned { try planHeredocs(planRoot, owner, unpack) }
        trace.record(treePlan == nil && planTree != nil ? "plan-memo" : "plan", step: title, start: planStarted)
        // A mark (no duration of its own) that the plan was made by IncrementalCopyPlanner.
        if incrementalPlan { trace.record("plan-incremental", step: title, start: DispatchTime.now().uptimeNanoseconds) }
        let parts = keyParts([treeDigest, heredocPlan?.sourceDigest.description].compactMap { $0 }, owner: owner)
        // Planned only when the layer is not in the cache (a memo hit has no entries yet).
        let entries = { [self] () throws -> [LayerEntry] in
            var made = treePlan
            if made == nil, let planTree { made = try trace.phaseSync("plan", step: title) { try planned { try planSourceTree(planTree, planRoot, owner, unpack) } } }
            return CopyHistory.merge([made, heredocPlan].compactMap { $0?.entries })
        }
        if link {
            try await commitLinkedLayer(try entries(), key: BuildCache.key("link", parts + [state.workingDirectory]), history: history,
                                        state: &state, step: step, started: started, title: title, linkKey: linkKey)
        } else {
            let key = BuildCache.key(state.cacheKey, parts)
            if let aliasKey { lazyLayers.recordAlias(aliasKey, key) }
            try await commitLayer(try entries(), key: key, history: history, state: &state,
                                  step: step, started: started, title: title, linkKey: linkKey)
        }
    }

    /// `--chown` of a linked copy: BuildKit makes it on an empty filesystem, so there is no
    /// /etc/passwd to look names up in; only numbers and `root` (llb's `parseUID`) work, and a
    /// user without a group gives the group of the same number (moby/buildkit#2987).
    static func linkedOwner(_ spec: String) throws -> (uid: UInt32, gid: UInt32) {
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let ids = parts.map { $0 == "root" ? "0" : $0 }
        for (part, id) in zip(parts, ids) where !id.isEmpty && UInt32(id) == nil {
            throw BuildError("--chown=\(spec): the name \(part) cannot be looked up for --link (a linked copy reads nothing "
                             + "from the image below it, so it has no /etc/passwd or /etc/group); use numeric IDs")
        }
        let user = try UserLookup.resolve(ids.joined(separator: ":"), rootfs: nil, forChown: true)
        return (user.uid, user.gid)
    }

    /// `COPY --link`: the layer's key leaves out everything below it, so it is found again when
    /// the base changes; the stage's key still follows the base, so later steps re-run.
    func commitLinkedLayer(_ entries: @autoclosure () throws -> [LayerEntry], key: String, history: String,
                           state: inout StageState, step: Int, started: Date, title: String = "", linkKey: String? = nil) async throws {
        let parent = state.cacheKey
        try await commitLayer(try entries(), key: key, history: history, state: &state, step: step, started: started, title: title,
                              linkKey: linkKey)
        state.cacheKey = BuildCache.key(parent, ["link", key])
    }

    /// Writes the heredoc sources of a COPY/ADD as files (BuildKit's `Mkfile(name, 0644, data)`),
    /// their bodies expanded when the delimiter was not quoted.
    func writeHeredocSources(_ op: CopyOperands, state: StageState, into dir: URL) throws -> (tree: CopySourceTree, sources: [String]) {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var names: [String] = []
        for content in op.contents {
            guard !content.path.isEmpty, !content.path.contains("/"), content.path != ".", content.path != ".." else {
                throw BuildError.at(op.range, "invalid heredoc name \(content.path)")
            }
            let data = content.expand ? try expandHeredoc(content.data, state, op.range) : content.data
            let file = dir.appendingPathComponent(content.path)
            try Data(data.utf8).write(to: file)
            _ = chmod(file.path, 0o644)
            names.append(content.path)
        }
        return (CopySourceTree(root: dir.path, isContext: true), names)
    }

    /// BuildKit's `ExpandRaw` for heredoc bodies: variables and `\\` escapes processed, quotes kept.
    func expandHeredoc(_ text: String, _ state: StageState, _ range: SourceRange) throws -> String {
        let lexer = ShellLexer(escapeToken: "\\", skipProcessQuotes: true)
        do {
            return try lexer.processWord(text, env: ShellEnvironment(state.envMap))
        } catch {
            throw BuildError.at(range, "\(error)")
        }
    }

    /// The image's current filesystem mounted read-only under `scratch` (destination checks,
    /// `--chown` names); nil for an empty image.
    func mountDestination(_ state: StageState, scratch: URL, mounts: inout [RootMount]) throws -> String? {
        guard !state.snapshots.isEmpty else { return nil }
        let m = try RootMount.mount(lowers: state.snapshots.map(\.path), upper: nil, work: nil,
                                    target: scratch.appendingPathComponent("dest").path)
        mounts.append(m)
        return m.target
    }

    /// `--chown`'s uid and gid, expanded, names looked up in `rootfs`; a `linked` copy takes only
    /// numbers and root. Nil when not given.
    func chownOwner(_ op: CopyOperands, _ state: StageState, _ range: SourceRange, rootfs: String?,
                    linked: Bool) throws -> (uid: UInt32, gid: UInt32)? {
        guard let raw = op.chown else { return nil }
        let spec = try expand(raw, state, range)
        do {
            if linked { return try Self.linkedOwner(spec) }
            let user = try UserLookup.resolve(spec, rootfs: rootfs, forChown: true)
            return (user.uid, user.gid)
        } catch let error as BuildError {
            throw BuildError.at(range, error.message)
        }
    }

    /// `--chmod`, expanded: an octal mode, or a symbolic one (`u+x`, `go-w`; Dockerfile 1.14,
    /// frontend/dockerfile testChmodNonOctal); both nil when not given.
    func chmodMode(_ op: CopyOperands, _ state: StageState, _ range: SourceRange) throws -> (octal: UInt32?, symbolic: String?) {
        guard let raw = op.chmod else { return (nil, nil) }
        // Octal 0–07777 only, with BuildKit's message (frontend/dockerfile testCopyInvalidChmod:
        // `10000` and `64a` are errors naming the allowed range).
        let text = try expand(raw, state, range)
        let parsed: Chmod
        do { parsed = try Chmod.parse(text) } catch { throw BuildError.at(range, error.message) }
        switch parsed {
        case .octal(let mode):
            return (mode, nil)
        case .symbolic(let spec):
            return (nil, spec)
        }
    }

    /// Appends the layer cached under `key` with its history entry; false when there is none.
    /// A `--cache-from` image's layer counts too (``CacheFromImages``); it is then recorded in the cache.
    func appendCachedLayer(_ key: String, history: String, state: inout StageState, step: Int, title: String = "",
                           buildKitKeys: [String] = []) throws -> Bool {
        let started = DispatchTime.now().uptimeNanoseconds
        defer { trace.record("cache-lookup", step: title, start: started) }
        var found = cache.lookup(key)
        if found == nil, cache.enabled, let (layer, diffID, _) = CacheFromImages.match(options.cacheFrom, history: history, state: state),
           store.contains(layer.digest) {
            found = BuildCache.Record(layer: layer, diffID: diffID)
            cache.save(key, found!)
        }
        guard let record = found else {
            if try appendImportedLayer(key, history: history, state: &state, step: step, title: title, buildKitKeys: buildKitKeys) { return true }
            if mayRunInPrivateNetwork { network.prewarm() }  // this step runs: a RUN may follow
            return false
        }
        try committer.append(record.layer, diffID: record.diffID, to: &state, step: title)
        progress.cached(step)
        state.record(history, emptyLayer: false, layerCreated: record.created)
        state.cacheKey = key
        return true
    }

    /// Appends the cached layer for `key`, or writes `entries` as a new layer and records it
    /// (`linkKey`: see ``LayerCommitter/commit(_:onto:step:discardable:linkKey:)``).
    func commitLayer(_ entries: @autoclosure () throws -> [LayerEntry], key: String, history: String,
                     state: inout StageState, step: Int, started: Date, title: String = "", linkKey: String? = nil) async throws {
        if try appendCachedLayer(key, history: history, state: &state, step: step, title: title) { return }
        let (layer, diffID) = try await committer.commit(try entries(), onto: &state, step: title, linkKey: linkKey)
        let record = BuildCache.Record(layer: layer, diffID: diffID)
        cache.save(key, record)
        progress.done(step, since: started)
        state.record(history, emptyLayer: false, layerCreated: record.created)
        state.cacheKey = key
    }
}
