import ContextFilter
import ImageSpec
import LayerArchive
#if canImport(Glibc)
import Glibc
#endif

/// Plans the layer a `COPY` or `ADD` adds, with BuildKit's semantics, without running a
/// container: which files land where, with which owners, modes and times.
///
/// - A directory source copies its contents; a file goes into the destination when that ends
///   with `/` or is an existing directory, and becomes the destination otherwise.
/// - A relative destination is taken from the `WORKDIR`; symlinks in it are resolved
///   confined to `destinationRoot`. Missing parent directories are created 0755, owned by the
///   `--chown` owner (else 0:0), dated now; existing ones appear with their own metadata.
/// - Source operands are cleaned as absolute paths (`../x` is `/x` in the source tree), the
///   operand's own symlinks are resolved inside the tree, symlinks below it are copied as links.
/// - A plain operand naming nothing fails with `"/NAME": not found`; a wildcard matching
///   nothing adds nothing. All operands are checked before anything is planned.
/// - Several sources (or wildcard matches) with a destination that is neither `/`-terminated
///   nor an existing directory are NOT rejected: BuildKit copies each in turn, so later files
///   overwrite earlier ones at the destination (moby/buildkit#1853; only the classic builder
///   says "When using COPY with more than one source file, ...").
/// - Files keep their mode bits (set-uid included) and mtimes; context files are owned by 0:0.
/// - `ADD` extracts local tar archives (owners from the archive unless `--chown`) into the
///   destination, merging with existing directories.
public enum CopyPlanner {
    /// - Parameters:
    ///   - destinationRoot: the image's current filesystem, nil for `FROM scratch`.
    ///   - scratch: a private directory for extracting `ADD` archives; must outlive the plan's
    ///     use (entries stream content from it).
    /// - Throws: `CopyError`.
    ///   - now: the time given to directories the copy creates (default: the current second).
    public static func plan(_ request: CopyRequest, from source: CopySourceTree, destinationRoot: String?,
                            scratch: String, now: TarTime? = nil) throws -> CopyPlan {
        let laid = try layOut(request, from: source, destinationRoot: destinationRoot, scratch: scratch, now: now)
        return CopyPlan(entries: laid.entries, sourceDigest: try SourceChecksum.digest(laid.entries, cache: source.checksumCache))
    }

    /// The plan's entries without the checksum. With `depthLimit`, a copied directory's walk
    /// stops that many levels below the operand (``IncrementalCopyPlanner`` plans the frame of a
    /// copy this way: everything but the operand's content); `destination` is where the first
    /// copied directory's content goes (nil when no directory was copied).
    static func layOut(_ request: CopyRequest, from source: CopySourceTree, destinationRoot: String?, scratch: String,
                       now: TarTime?, depthLimit: Int? = nil) throws -> (entries: [LayerEntry], destination: [String]?) {
        guard !request.sources.isEmpty else { throw CopyError(.noSources, "no source files were specified") }
        let written = request.destination
        let intoDirectory = written.isEmpty || written == "." || written.hasSuffix("/") || request.parents
        let absolute = written.hasPrefix("/") ? written : request.workingDirectory + "/" + written
        let destination = ConfinedResolver.clean(absolute)

        let view = SourceView(tree: source)
        let operands = request.parents ? [] : try request.sources.map { try view.matches($0) }
        var exclude: PatternMatcher?
        if !request.excludePatterns.isEmpty {
            do { exclude = try PatternMatcher(request.excludePatterns) } catch {
                throw CopyError(.unsupported, "invalid --exclude pattern: \(error)")
            }
        }
        let policy = OwnershipPolicy(chown: request.owner.map { (Int($0.uid), Int($0.gid)) }, zeroOwners: source.isContext,
                                     mode: request.mode, symbolic: try request.symbolicMode.map(SymbolicMode.init(parsing:)))
        let now = now ?? TarTime(seconds: Int64(time(nil)))
        var copier = Copier(view: view, policy: policy, exclude: exclude,
                            layer: PlannedLayer(destinationRoot: destinationRoot, now: now), depthLimit: depthLimit)

        if request.parents {
            for operand in request.sources {
                try copier.layer.makeDirectories(try copier.layer.resolve(destination), owner: policy.createdOwner, mode: policy.createdMode)
                try copyParents(operand, into: destination, view: view, copier: &copier)
            }
        }
        for matches in operands where !matches.isEmpty {
            let ensured = intoDirectory ? destination : Array(destination.dropLast())
            try copier.layer.makeDirectories(try copier.layer.resolve(ensured), owner: policy.createdOwner, mode: policy.createdMode)
            for match in matches {
                let target = destination
                if request.isAdd, let tar = try archive(match, view: view, scratch: scratch) {
                    try unpack(tar, into: target, scratch: scratch, policy: policy, copier: &copier)
                } else {
                    try copier.copy(match, to: try copier.layer.resolve(target))
                }
            }
        }
        return (copier.layer.entries(), copier.topDestination)
    }

    /// The tar file to extract for an `ADD` match, or nil to copy it.
    private static func archive(_ match: SourceMatch, view: SourceView, scratch: String) throws -> String? {
        let path = ConfinedResolver.join(view.tree.root, match.resolved)
        guard let info = SourceHeaders.lstatInfo(path), info.st_mode & S_IFMT == S_IFREG else { return nil }
        return try ArchiveUnpacker.tarFile(path, scratch: scratch)
    }

    /// Extracts an archive and merges its tree into `target` (created as a directory).
    private static func unpack(_ tar: String, into target: [String], scratch: String, policy: OwnershipPolicy,
                               copier: inout Copier) throws {
        let (directory, named) = try ArchiveUnpacker.extract(tar, scratch: scratch)
        let resolved = try copier.layer.resolve(target)
        try copier.layer.makeDirectories(resolved, owner: policy.createdOwner, mode: policy.createdMode)
        let archivePolicy = OwnershipPolicy(chown: policy.chown, zeroOwners: false, mode: nil)
        try merge(directory, relative: [], named: named, into: resolved, policy: archivePolicy, layer: &copier.layer)
    }

    /// Adds everything below `directory` at `target`, replacing what is there (as an archive
    /// extraction does): directories keep their archive metadata even over existing ones. Each
    /// entry's parent is resolved through the symlinks already there, confined to the image
    /// (an absolute `var/run -> /run` leads `var/run/x` to `/run/x`), while the entry itself
    /// replaces a symlink at its name; a directory the archive does not name (made only to hold
    /// its entries) follows a symlink to a directory instead of replacing it (frontend/dockerfile
    /// testDockerfileAddArchiveThroughAbsoluteSymlink; containerd's archive apply resolves
    /// parents with `fs.RootPath`).
    private static func merge(_ directory: String, relative: [String], named: Set<String>, into target: [String],
                              policy: OwnershipPolicy, layer: inout PlannedLayer) throws {
        for name in try SourceHeaders.children(directory) {
            let path = directory + "/" + name
            guard let info = SourceHeaders.lstatInfo(path),
                  let entry = try SourceHeaders.entry(path: path, info: info, policy: policy) else { continue }
            let parent = try layer.resolve(target)
            let inner = relative + [name]
            if SourceHeaders.isDirectory(info), !named.contains(inner.joined(separator: "/")) {
                let followed = try layer.resolve(parent + [name])
                if layer.kind(followed) == .directory {
                    try merge(path, relative: inner, named: named, into: followed, policy: policy, layer: &layer)
                    continue
                }
            }
            layer.add(parent + [name], entry)
            if SourceHeaders.isDirectory(info) {
                try merge(path, relative: inner, named: named, into: parent + [name], policy: policy, layer: &layer)
            }
        }
    }
}
