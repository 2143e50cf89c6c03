import ContextFilter
import CopyPlanner
import DockerfileSyntax
import Foundation
import ImageSpec
import LayerArchive

extension Builder {
    /// COPY/ADD: plans the layer with CopyPlanner, reuses a cached layer for the same sources.
    func dispatchCopy(_ op: CopyOperands, state: inout StageState, title: String, stageIndex: Int) async throws {
        let range = op.range
        if let git = try addGitSource(op, state) {
            return try await dispatchAddGit(git, op, state: &state, title: title)
        }
        let checksum = try addChecksum(op, state)
        let step = progress.begin(title)
        let started = Date()
        let sources = try op.sources.map { try expand($0, state, range) }
        let destination = try expand(op.destination, state, range)
        let history = "\(op.keyword) \((sources + [destination]).joined(separator: " ")) # buildkit"
        let scratch = try committer.scratchDirectory("copy")
        var mounts: [RootMount] = []
        defer {
            for m in mounts { m.unmount() }
            try? FileManager.default.removeItem(at: scratch)
        }
        // The image's current filesystem (destination checks, --chown names).
        var destinationRoot: String?
        if !state.snapshots.isEmpty {
            let m = try RootMount.mount(lowers: state.snapshots.map(\.path), upper: nil, work: nil,
                                        target: scratch.appendingPathComponent("dest").path)
            mounts.append(m)
            destinationRoot = m.target
        }
        // Where the sources come from.
        var tree: CopySourceTree
        var planSources = sources
        var fromKey = "context"
        if let rawFrom = op.from {
            let from = try expand(rawFrom, state, range)
            var lowers: [URL] = []
            var contextTree: CopySourceTree?
            if let index = StagePlan.stageIndex(from, stages: program.stages, before: stageIndex), let source = states[index] {
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
        } else if !op.contents.isEmpty {
            guard sources.isEmpty else {
                throw BuildError.at(range, "kiln cannot mix heredoc and file sources in one \(op.keyword) yet")
            }
            let dir = scratch.appendingPathComponent("heredoc")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            planSources = []
            for content in op.contents {
                let data = content.expand ? try expand(content.data, state, range) : content.data
                try Data(data.utf8).write(to: dir.appendingPathComponent(content.path))
                planSources.append(content.path)
            }
            tree = CopySourceTree(root: dir.path, isContext: true)
            fromKey = "heredoc"
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
            let included = contextIncluded
            // The walk already decided which excluded directories are sent (kept).
            tree = CopySourceTree(root: context, isContext: true, excluded: { path in
                guard let included else { return false }
                return !included.contains(path)
            }, keepsExcludedDirectory: { _ in false }, checksumCache: contextChecksums)
        }
        var owner: (uid: UInt32, gid: UInt32)?
        if let rawChown = op.chown {
            let spec = try expand(rawChown, state, range)
            do {
                let user = try UserLookup.resolve(spec, rootfs: destinationRoot, forChown: true)
                owner = (user.uid, user.gid)
            } catch let error as BuildError {
                throw BuildError.at(range, error.message)
            }
        }
        var mode: UInt32?
        if let rawChmod = op.chmod {
            guard let m = UInt32(try expand(rawChmod, state, range), radix: 8) else {
                throw BuildError.at(range, "invalid chmod parameter: \(rawChmod)")
            }
            mode = m
        }
        let isURL = fromKey == "url"
        let request = CopyRequest(sources: planSources, destination: destination, workingDirectory: state.workingDirectory,
                                  owner: owner, mode: mode ?? (isURL ? 0o600 : nil), isAdd: op.isAdd && !isURL,
                                  excludePatterns: op.excludes, parents: op.parents)
        let plan: CopyPlan
        try FileManager.default.createDirectory(at: scratch.appendingPathComponent("unpack"), withIntermediateDirectories: true)
        do {
            plan = try CopyPlanner.plan(request, from: tree, destinationRoot: destinationRoot,
                                        scratch: scratch.appendingPathComponent("unpack").path)
        } catch {
            throw BuildError.at(range, "\(error)")
        }
        let key = BuildCache.key(state.cacheKey, [history, fromKey, "\(String(describing: owner))", "\(String(describing: mode))",
                                                  plan.sourceDigest.description, op.excludes.joined(separator: "\n"), "\(op.parents)"])
        try await commitLayer(plan.entries, key: key, history: history, state: &state, step: step, started: started)
    }

    /// Appends the cached layer for `key`, or writes `entries` as a new layer and records it.
    func commitLayer(_ entries: @autoclosure () throws -> [LayerEntry], key: String, history: String,
                     state: inout StageState, step: Int, started: Date) async throws {
        if let record = cache.lookup(key) {
            try committer.append(record.layer, diffID: record.diffID, to: &state)
            progress.cached(step)
        } else {
            let (layer, diffID) = try await committer.commit(try entries(), onto: &state)
            cache.save(key, BuildCache.Record(layer: layer, diffID: diffID))
            progress.done(step, since: started)
        }
        state.record(history, emptyLayer: false)
        state.cacheKey = key
    }
}
