import CopyPlanner
import DockerfileSyntax
import Foundation

extension Builder {
    /// The git source of an ADD whose (expanded) sources include one, nil otherwise. BuildKit adds
    /// each source on its own; kiln takes a git repository only as the single source.
    func addGitSource(_ op: CopyOperands, _ state: StageState) throws -> GitReference? {
        guard op.isAdd, op.contents.isEmpty else { return nil }
        let sources = try op.sources.map { try expand($0, state, op.range) }
        var found: GitReference?
        for source in sources {
            do {
                if let reference = try GitReference.detect(source) {
                    found = reference
                }
            } catch {
                throw BuildError.at(op.range, "failed to parse git reference \(GitFetcher.redacted(source)): \(error)")
            }
        }
        guard let found else { return nil }
        guard sources.count == 1 else {
            throw BuildError.at(op.range, "kiln adds a git repository only as the single source of an ADD (split the ADD)")
        }
        return found
    }

    /// `ADD <git repository> <dest>`: the ref is resolved first (the commit is the cache key, so a
    /// cached step fetches nothing), then fetched, checked out and copied like a directory's
    /// content: files owned by 0:0 unless `--chown`, modes as git checks them out (umask 022),
    /// mtimes of the checkout (the commit time when `SOURCE_DATE_EPOCH` is set, as newer BuildKit),
    /// no archive unpacking, `.git` only with `--keep-git-dir` (BuildKit dockerfile_addgit_test.go).
    func dispatchAddGit(_ reference: GitReference, _ op: CopyOperands, state: inout StageState, title: String) async throws {
        let range = op.range
        let step = progress.begin(title)
        let started = Date()
        let source = try expand(op.sources[0], state, range)
        let destination = try expand(op.destination, state, range)
        let history = "ADD \(GitFetcher.redacted(source)) \(destination) # buildkit"
        let keepGitDir = op.keepGitDir || (reference.keepGitDir ?? false)
        let checksum = try op.checksum.map { try expand($0, state, range) }
        let scratch = try committer.scratchDirectory("git")
        var mounts: [RootMount] = []
        defer {
            for m in mounts { m.unmount() }
            try? FileManager.default.removeItem(at: scratch)
        }
        let fetcher = GitFetcher(reference: reference, scratch: scratch)
        let resolved: GitFetcher.Resolved
        do {
            resolved = try fetcher.resolve(checksum: checksum)
        } catch {
            throw BuildError.at(range, "\(error)")
        }
        let destinationRoot = try mountDestination(state, scratch: scratch, mounts: &mounts)
        let owner = try chownOwner(op, state, range, rootfs: destinationRoot, linked: false)
        let (mode, symbolicMode) = try chmodMode(op, state, range)
        let commitTimes = sourceDateEpoch != nil
        // BuildKit keys an annotated tag kept with its .git by the tag object, otherwise by the commit.
        let object = keepGitDir ? (resolved.tagObject ?? resolved.commit) : resolved.commit
        let key = BuildCache.key(state.cacheKey, [history, "git:" + object, GitFetcher.cleanSubdir(reference.subdir),
                                                  "keep=\(keepGitDir)", "mtime=\(commitTimes ? "commit" : "checkout")",
                                                  "\(String(describing: owner))", "\(String(describing: mode))" + (symbolicMode ?? ""),
                                                  op.excludes.joined(separator: "\n")])
        if try appendCachedLayer(key, history: history, state: &state, step: step) { return }
        let tree: URL
        do {
            tree = try fetcher.checkout(resolved, keepGitDir: keepGitDir, commitTimeMtimes: commitTimes)
        } catch {
            throw BuildError.at(range, "\(error)")
        }
        let request = CopyRequest(sources: ["."], destination: destination, workingDirectory: state.workingDirectory,
                                  owner: owner, mode: mode, isAdd: false, excludePatterns: op.excludes,
                                  symbolicMode: symbolicMode)
        let unpack = scratch.appendingPathComponent("unpack")
        try FileManager.default.createDirectory(at: unpack, withIntermediateDirectories: true)
        let plan: CopyPlan
        do {
            plan = try CopyPlanner.plan(request, from: CopySourceTree(root: tree.path, isContext: true),
                                        destinationRoot: destinationRoot, scratch: unpack.path)
        } catch {
            throw BuildError.at(range, "\(error)")
        }
        try await commitLayer(plan.entries, key: key, history: history, state: &state, step: step, started: started)
    }
}

extension GitFetcher {
    /// `source` with a URL password replaced by `xxxxx`, as BuildKit's urlutil.RedactCredentials.
    static func redacted(_ source: String) -> String {
        guard let scheme = source.range(of: "://") else { return source }
        let rest = source[scheme.upperBound...]
        let hostEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        guard let at = rest[..<hostEnd].lastIndex(of: "@") else { return source }
        let userinfo = rest[..<at]
        guard let colon = userinfo.firstIndex(of: ":") else { return source }
        return String(source[..<scheme.upperBound]) + userinfo[..<colon] + ":xxxxx" + rest[at...]
    }
}
