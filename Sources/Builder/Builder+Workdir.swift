import ConfinedFS
import DockerfileSyntax
import Foundation
import LayerArchive

extension Builder {
    /// WORKDIR: sets the config's working directory and, as BuildKit, commits a layer that
    /// creates it (empty when it exists), owned by the current USER; `/` adds no layer.
    func dispatchWorkdir(_ w: WorkdirInstruction, state: inout StageState, title: String) async throws {
        let range = w.node.range
        let raw = try expand(w.path, state, range)
        // BuildKit 20.10 keeps an absolute path as written (trailing slash included).
        let path = raw.hasPrefix("/") ? raw : Self.joinPath(state.workingDirectory, raw)
        state.config.config.workingDir = path
        let history = "WORKDIR \(path)"
        // `/` always exists: no step and no layer (BuildKit's dispatchWorkdir; testExportedHistory
        // expects `WORKDIR /` with empty_layer true).
        if path == "/" {
            state.record(history, emptyLayer: true)
            state.cacheKey = BuildCache.key(state.cacheKey, [history])
            return
        }
        let step = progress.begin(title)
        let started = Date()
        let key = BuildCache.key(state.cacheKey, [history, state.config.config.user ?? ""])
        advanceBuildKitWorkdir(path, state: &state)
        if try appendCachedLayer(key, history: history, state: &state, step: step, buildKitKeys: state.buildKitKeys) { return }
        try await materializeLazy(state.snapshots)  // layers taken from an imported cache
        let snapshots = state.snapshots
        let user = state.config.config.user
        try await commitLayer(try self.workdirEntries(path, lowers: snapshots, user: user, range: range),
                              key: key, history: history, state: &state, step: step, started: started)
    }

    private func workdirEntries(_ path: String, lowers: [URL], user: String?, range: SourceRange) throws -> [LayerEntry] {
        let dir = try committer.scratchDirectory("workdir")
        defer { try? FileManager.default.removeItem(at: dir) }
        let upper = dir.appendingPathComponent("upper").path
        let work = dir.appendingPathComponent("work").path
        for d in [upper, work] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        let mount = try RootMount.mount(lowers: lowers.map(\.path), upper: upper, work: work,
                                        target: dir.appendingPathComponent("root").path)
        defer { mount.unmount() }
        var owner: Ownership?
        if let user, !user.isEmpty, let resolved = try? UserLookup.resolve(user, rootfs: mount.target) {
            owner = Ownership(uid: resolved.uid, gid: resolved.gid)
        }
        // Resolved inside the image as if its root were `/` (BuildKit's MkdirAll on a RootPath):
        // a symlink to `/..` or to a host path planted earlier cannot make it reach the host.
        do {
            let root = try ConfinedRoot(mount.target)
            try root.mkdirAll(path, mode: 0o755, owner: owner)
        } catch {
            throw BuildError.at(range, "\(error)")
        }
        mount.unmount()
        return try LayerDiff.entries(fromOverlayUpper: upper)
    }

    /// Go's `path.Join(base, p)` when p is relative, else `path.Clean(p)`.
    static func joinPath(_ base: String, _ p: String) -> String {
        let combined = p.hasPrefix("/") ? p : base + "/" + p
        var parts: [Substring] = []
        for component in combined.split(separator: "/") {
            if component == "." { continue }
            if component == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(component)
        }
        return "/" + parts.joined(separator: "/")
    }
}
