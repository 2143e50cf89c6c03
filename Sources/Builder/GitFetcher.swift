import Foundation

/// Resolves and checks out a ``GitReference`` with the git binary, the way BuildKit's git source
/// does (source/git/source.go): the ref is resolved with `ls-remote` first (its commit is the cache
/// key, so a cached step fetches nothing), then fetched shallowly into a scratch repository and
/// checked out. With `keepGitDir` the checkout gets a fresh `.git` holding just that commit, its
/// `origin` remote set to the URL and a detached HEAD, as BuildKit makes it.
struct GitFetcher {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// What a ref resolved to.
    struct Resolved: Equatable {
        /// The commit checked out.
        var commit: String
        /// The full ref name (`refs/tags/v1`), nil when the ref was a commit hash.
        var refName: String?
        /// The tag object's hash, for an annotated tag.
        var tagObject: String?
    }

    let reference: GitReference
    /// A private scratch directory (removed by the caller).
    let scratch: URL

    /// The ref's commit, via `git ls-remote` (no fetch) unless the ref is a full commit hash.
    /// Verifies `checksum` (a hex commit-hash prefix), as BuildKit's git source does.
    func resolve(checksum: String?) throws -> Resolved {
        let check = checksum ?? reference.checksum
        if let check {
            guard !check.isEmpty, check.allSatisfy(\.isHexDigit) else {
                throw Failure(description: "invalid checksum \(check) for Git URL, expected hex commit hash")
            }
        }
        let ref = reference.ref
        let resolved: Resolved
        if GitReference.isCommitHash(ref) {
            resolved = Resolved(commit: ref, refName: nil, tagObject: nil)
        } else if ref.isEmpty {
            let out = try git(["ls-remote", "--symref", "--", reference.remote, "HEAD"], what: "error fetching default branch for repository \(reference.remote)")
            var name: String?, commit: String?
            for line in out.split(separator: "\n") {
                let fields = line.split(separator: "\t", maxSplits: 1).map(String.init)
                guard fields.count == 2, fields[1] == "HEAD" else { continue }
                if fields[0].hasPrefix("ref: ") { name = String(fields[0].dropFirst(5)) } else { commit = fields[0] }
            }
            guard let commit else { throw Failure(description: "error fetching default branch for repository \(reference.remote): no HEAD") }
            resolved = Resolved(commit: commit, refName: name, tagObject: nil)
        } else {
            let out = try git(["ls-remote", "--", reference.remote, ref, ref + "^{}"], what: "failed to fetch remote \(reference.remote)")
            var refs: [String: String] = [:]
            for line in out.split(separator: "\n") {
                let fields = line.split(separator: "\t", maxSplits: 1).map(String.init)
                if fields.count == 2 { refs[fields[1]] = fields[0] }
            }
            // git's own order for a short ref name (git-rev-parse(1), "SPECIFYING REVISIONS").
            let candidates = [ref, "refs/" + ref, "refs/tags/" + ref, "refs/heads/" + ref, "refs/remotes/" + ref, "refs/remotes/" + ref + "/HEAD"]
            guard let name = candidates.first(where: { refs[$0] != nil }), let object = refs[name] else {
                throw Failure(description: "repository does not contain ref \(ref), output: \"\"")
            }
            if let peeled = refs[name + "^{}"] {
                resolved = Resolved(commit: peeled, refName: name, tagObject: object)
            } else {
                resolved = Resolved(commit: object, refName: name, tagObject: nil)
            }
        }
        if let check, !resolved.commit.hasPrefix(check), !(resolved.tagObject?.hasPrefix(check) ?? false) {
            throw Failure(description: "expected checksum to match \(check), got \(resolved.commit)")
        }
        return resolved
    }

    /// Fetches `resolved` and checks it out into a new directory; returns the directory whose content
    /// the ADD copies (the subdirectory when one is asked for).
    func checkout(_ resolved: Resolved, keepGitDir: Bool, commitTimeMtimes: Bool) throws -> URL {
        let repo = scratch.appendingPathComponent("repo")
        try git(["-c", "init.defaultBranch=master", "init", "-q", repo.path], what: "failed to init a repository")
        let spec = resolved.refName.map { "\($0):\($0)" } ?? resolved.commit
        do {
            try git(["-C", repo.path, "fetch", "-q", "-u", "--depth=1", "--no-tags", "--", reference.remote, spec], what: "failed to fetch remote \(reference.remote)")
        } catch {
            // The dumb HTTP transport (a static file server) cannot fetch shallowly.
            try git(["-C", repo.path, "fetch", "-q", "-u", "--no-tags", "--", reference.remote, spec], what: "failed to fetch remote \(reference.remote)")
        }
        let fetched = try git(["-C", repo.path, "rev-parse", "--verify", "-q", "FETCH_HEAD^{commit}"], what: "failed to read the fetched commit").trimmingCharacters(in: .whitespacesAndNewlines)
        guard fetched == resolved.commit else {
            throw Failure(description: "fetched ref \(reference.ref) does not match expected commit \(resolved.commit) (the remote changed while building)")
        }
        let subdir = Self.cleanSubdir(reference.subdir)
        let tree = scratch.appendingPathComponent("checkout")
        try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
        if keepGitDir && subdir.isEmpty {
            let gitDir = tree.appendingPathComponent(".git").path
            let inTree = ["--git-dir=\(gitDir)", "--work-tree=\(tree.path)"]
            try git(["-c", "init.defaultBranch=master", "init", "-q", tree.path], what: "failed to init the checkout")
            try git(inTree + ["remote", "add", "origin", "file://" + repo.path], what: "failed to add the origin remote")
            let pull: String
            if let name = resolved.refName {
                pull = "\(name):\(name)"
            } else {
                pull = "refs/kiln/checkout"
                try git(["-C", repo.path, "update-ref", pull, resolved.commit], what: "failed to name the commit")
            }
            try git(inTree + ["fetch", "-q", "-u", "--depth=1", "origin", pull], what: "failed to fetch the commit into the checkout")
            try git(inTree + ["-c", "advice.detachedHead=false", "checkout", "-q", resolved.commit], what: "failed to checkout remote \(reference.remote)")
            try git(inTree + ["remote", "set-url", "origin", reference.remote], what: "failed to set remote origin to \(reference.remote)")
            try git(inTree + ["reflog", "expire", "--all", "--expire=now"], what: "failed to expire reflog for remote \(reference.remote)")
            try? FileManager.default.removeItem(atPath: gitDir + "/FETCH_HEAD")
        } else {
            try git(["--git-dir=\(repo.path)/.git", "--work-tree=\(tree.path)", "checkout", "-q", resolved.commit, "--", "."],
                    what: "failed to checkout remote \(reference.remote)")
        }
        if FileManager.default.fileExists(atPath: tree.appendingPathComponent(".gitmodules").path) {
            let gitDir = keepGitDir && subdir.isEmpty ? tree.appendingPathComponent(".git").path : repo.path + "/.git"
            try git(["--git-dir=\(gitDir)", "--work-tree=\(tree.path)", "-C", tree.path, "submodule", "update", "--init", "--recursive", "--depth=1"],
                    what: "failed to update submodules for \(reference.remote)")
        }
        if commitTimeMtimes {
            let time = try git(["-C", repo.path, "log", "-1", "--format=%ct", resolved.commit], what: "failed to get commit time for \(reference.remote)")
            if let seconds = Int(time.trimmingCharacters(in: .whitespacesAndNewlines)) { Self.setMtimes(tree, seconds: seconds) }
        }
        guard !subdir.isEmpty else { return tree }
        let root = tree.resolvingSymlinksInPath().path
        let target = tree.appendingPathComponent(subdir).resolvingSymlinksInPath()
        var isDirectory: ObjCBool = false
        guard target.path == root || target.path.hasPrefix(root + "/"),
              FileManager.default.fileExists(atPath: target.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw Failure(description: "failed to open subdir \(subdir): no such directory in \(reference.remote) at \(resolved.commit)")
        }
        return target
    }

    /// `subdir` without leading/trailing slashes and `.` components; empty for the root. `..` is
    /// kept and later refused by the confinement check.
    static func cleanSubdir(_ subdir: String) -> String {
        subdir.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
    }

    /// Sets every entry's mtime (not following symlinks) to `seconds`.
    static func setMtimes(_ root: URL, seconds: Int) {
        var times = [timespec(tv_sec: seconds, tv_nsec: 0), timespec(tv_sec: seconds, tv_nsec: 0)]
        var paths = [root.path]
        if let walker = FileManager.default.enumerator(atPath: root.path) {
            for case let relative as String in walker { paths.append(root.path + "/" + relative) }
        }
        // Children first, so setting a file's time does not disturb its directory's again.
        for path in paths.reversed() { _ = utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW) }
    }

    /// Runs git (umask 022 as BuildKit's daemon; no system or global config; never prompting);
    /// returns its standard output. Throws `what: <git's error>` on failure.
    @discardableResult
    func git(_ arguments: [String], what: String) throws -> String {
        let out = scratch.appendingPathComponent("git-\(UInt32.random(in: 0...UInt32.max)).out")
        let err = scratch.appendingPathComponent("git-\(UInt32.random(in: 0...UInt32.max)).err")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "umask 022 && exec git \"$@\"", "git"] + arguments
        var env = ProcessInfo.processInfo.environment
        env["GIT_TERMINAL_PROMPT"] = "0"
        env["GIT_CONFIG_NOSYSTEM"] = "1"
        env["GIT_CONFIG_GLOBAL"] = "/dev/null"
        env["LC_ALL"] = "C"
        for key in ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"] { env.removeValue(forKey: key) }
        process.environment = env
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        do {
            try process.run()
        } catch {
            throw Failure(description: "\(what): cannot run git: \(error)")
        }
        process.waitUntilExit()
        let stdout = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            let stderr = ((try? String(contentsOf: err, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            throw Failure(description: "\(what): git stderr:\n\(stderr)")
        }
        return stdout
    }
}
