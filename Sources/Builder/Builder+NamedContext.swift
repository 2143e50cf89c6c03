import ContextFilter
import CopyPlanner
import DockerfileSyntax
import Foundation
import ImageSpec
import Images
import LayerArchive

/// What a named context gives a COPY --from or a bind mount.
enum NamedContextSource {
    /// Layer snapshots (an image), base first.
    case lowers([URL], key: String)
    /// A directory (a local context or a git checkout): the paths its `.dockerignore` lets through
    /// (nil: all), and a key naming it.
    case directory(String, included: Set<String>?, key: String)
}

extension Builder {
    /// The `--build-context` that replaces `name` (a stage name, a FROM base, a `--from`), if any.
    func namedContext(for name: String) -> (key: String, context: NamedContext)? {
        guard !options.namedContexts.isEmpty, let key = NamedContext.lookupKey(name),
              let context = options.namedContexts[key] else { return nil }
        return (key, context)
    }

    /// A named context as the files COPY --from and RUN --mount read. `scratch` keeps the work
    /// directory for git checkouts alive until the step ends.
    func namedContextSource(_ named: (key: String, context: NamedContext), scratch: URL, range: SourceRange?) async throws -> NamedContextSource {
        switch named.context {
        case .directory(let path):
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw BuildError("build context \(named.key): \(path) is not a directory", range: range)
            }
            return .directory(path, included: try Self.includedPaths(path, contextName: named.key), key: "named-dir:\(named.key):\(path)")
        case .image(let ref):
            if ref.lowercased() == "scratch" { return .lowers([], key: "scratch") }
            let image = try await namedContextImage(ref, name: named.key, range: range)
            return .lowers(try await images.snapshots(for: image), key: "image:\(image.id)")
        case .git(let url):
            let reference: GitReference
            do {
                guard let parsed = try GitReference.detect(url) else {
                    throw BuildError("invalid git context \(url)", range: range)
                }
                reference = parsed
            } catch let error as BuildError {
                throw error
            } catch {
                throw BuildError("invalid git context \(GitFetcher.redacted(url)): \(error)", range: range)
            }
            let work = scratch.appendingPathComponent("git-\(named.key.hashValue & 0xffff)")
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            let fetcher = GitFetcher(reference: reference, scratch: work)
            do {
                let resolved = try fetcher.resolve(checksum: nil)
                let tree = try fetcher.checkout(resolved, keepGitDir: reference.keepGitDir ?? false,
                                                commitTimeMtimes: sourceDateEpoch != nil)
                return .directory(tree.path, included: nil, key: "git:\(resolved.commit):\(reference.subdir)")
            } catch {
                throw BuildError("build context \(named.key): \(error)", range: range)
            }
        case .ociLayout(let path, _):
            throw BuildError("build context \(named.key): the OCI layout \(path) was not loaded (kiln build loads it)", range: range)
        case .storedImage(let descriptor):
            let image = try loadStoredImage(descriptor, name: named.key, range: range)
            return .lowers(try await images.snapshots(for: image), key: "image:\(image.id)")
        }
    }

    /// The image a `docker-image://` context names: local (a name or an image ID), else pulled.
    func namedContextImage(_ ref: String, name: String, range: SourceRange?) async throws -> LocalImage {
        if !options.pull, let local = try? await images.localImage(ref) { return local }
        return try await resolveImage(ref, range: range)
    }

    func loadStoredImage(_ descriptor: Descriptor, name: String, range: SourceRange?) throws -> LocalImage {
        do {
            return try images.load(descriptor)
        } catch {
            throw BuildError("build context \(name): cannot read image \(descriptor.digest): \(error)", range: range)
        }
    }

    /// The paths of `directory` its own `.dockerignore` lets through (nil: no patterns), as BuildKit
    /// reads a named local context's `.dockerignore` (not the Dockerfile's).
    static func includedPaths(_ directory: String, contextName: String) throws -> Set<String>? {
        let patterns: [String]
        do {
            patterns = try IgnoreFile.load(contextDirectory: URL(fileURLWithPath: directory), dockerfile: nil).patterns
        } catch {
            throw BuildError("failed parsing .dockerignore of build context \(contextName): \(error)")
        }
        guard !patterns.isEmpty else { return nil }
        do {
            return try LegacyContextWalk.included(root: directory, matcher: try PatternMatcher(patterns))
        } catch {
            throw BuildError("failed to read build context \(contextName) with its .dockerignore: \(error)")
        }
    }

    /// A digest of a directory's listing (path, type, mode, owner, size, mtime of every entry), so a
    /// step that mounts a directory context re-runs when the directory changes.
    static func directoryFingerprint(_ root: String) -> String {
        var hasher = Digester()
        var paths = [""]
        if let walker = FileManager.default.enumerator(atPath: root) {
            for case let relative as String in walker { paths.append(relative) }
        }
        for path in paths.sorted() {
            var info = stat()
            guard lstat(path.isEmpty ? root : root + "/" + path, &info) == 0 else { continue }
            let line = "\(path)\u{0}\(info.st_mode) \(info.st_uid) \(info.st_gid) \(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)\n"
            hasher.update(Data(line.utf8))
        }
        return hasher.finalize().description
    }

    /// A copy of `root` holding only `included` (directories made, files hard-linked or copied,
    /// symlinks recreated), for a mount of a context whose `.dockerignore` excludes something.
    static func filteredTree(_ root: String, included: Set<String>, into target: URL) throws -> String {
        let fm = FileManager.default
        try fm.createDirectory(at: target, withIntermediateDirectories: true)
        for path in included.sorted() {
            let source = root + "/" + path
            let destination = target.path + "/" + path
            var info = stat()
            guard lstat(source, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                try fm.createDirectory(atPath: destination, withIntermediateDirectories: true)
                _ = chmod(destination, info.st_mode & 0o7777)
            case S_IFLNK:
                try fm.createSymbolicLink(atPath: destination, withDestinationPath: try fm.destinationOfSymbolicLink(atPath: source))
            case S_IFREG:
                if link(source, destination) != 0 { try fm.copyItem(atPath: source, toPath: destination) }
            default:
                continue
            }
        }
        return target.path
    }

    /// The copy-source tree of a directory context.
    static func contextTree(_ root: String, included: Set<String>?) -> CopySourceTree {
        CopySourceTree(root: root, isContext: true, excluded: { path in
            guard let included else { return false }
            return !included.contains(path)
        }, keepsExcludedDirectory: { _ in false })
    }

    /// The state a stage starts from (or is replaced by) when a named context stands for its base
    /// or its name: an image's config and layers, or — for a directory or git context — an image
    /// without config (scratch's) whose one layer is the directory's content.
    func namedContextState(_ named: (key: String, context: NamedContext), label: String, range: SourceRange) async throws -> StageState {
        let step = progress.begin("[\(label)] [context \(named.key)] load")
        let started = Date()
        let scratchConfig = ImageConfig(platform: buildPlan.platform,
                                        config: ContainerConfig(env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], workingDir: "/"))
        var image: LocalImage?
        if case .image(let ref) = named.context {
            if ref.lowercased() == "scratch" {
                progress.done(step, since: started)
                return StageState(config: scratchConfig, layers: [], snapshots: [], cacheKey: "scratch")
            }
            image = try await namedContextImage(ref, name: named.key, range: range)
        } else if case .storedImage(let descriptor) = named.context {
            image = try loadStoredImage(descriptor, name: named.key, range: range)
        }
        if let image {
            let snapshots = try await images.snapshots(for: image)
            progress.done(step, since: started)
            return StageState(config: image.config, layers: image.manifest.layers, snapshots: snapshots, cacheKey: "image:\(image.id)")
        }
        let scratch = try committer.scratchDirectory("context")
        defer { try? FileManager.default.removeItem(at: scratch) }
        guard case .directory(let root, let included, let key) = try await namedContextSource(named, scratch: scratch, range: range) else {
            throw BuildError.at(range, "build context \(named.key) is no directory")
        }
        let unpack = scratch.appendingPathComponent("unpack")
        try FileManager.default.createDirectory(at: unpack, withIntermediateDirectories: true)
        let plan: CopyPlan
        do {
            plan = try CopyPlanner.plan(CopyRequest(sources: ["."], destination: "/"), from: Self.contextTree(root, included: included),
                                        destinationRoot: nil, scratch: unpack.path)
        } catch {
            throw BuildError.at(range, "build context \(named.key): \(error)")
        }
        var state = StageState(config: scratchConfig, layers: [], snapshots: [], cacheKey: "scratch")
        let cacheKey = BuildCache.key("named-context", [key, plan.sourceDigest.description])
        // Like BuildKit's exporter for a layer without history: an entry with no created_by.
        var created = Timestamp(Date())
        if let record = cache.lookup(cacheKey) {
            try committer.append(record.layer, diffID: record.diffID, to: &state)
            created = record.created ?? created
        } else {
            let (layer, diffID) = try await committer.commit(plan.entries, onto: &state)
            cache.save(cacheKey, BuildCache.Record(layer: layer, diffID: diffID, created: created))
        }
        state.config.history.append(History(created: created))
        state.cacheKey = cacheKey
        progress.done(step, since: started)
        return state
    }
}
