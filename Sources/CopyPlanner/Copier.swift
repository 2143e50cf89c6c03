import Glibc
import ContextFilter
import LayerArchive

/// Copies source matches into a `PlannedLayer` with `tonistiigi/fsutil`'s `copy.Copy`
/// semantics, as BuildKit runs it for the Dockerfile (`CopyDirContents`, `FollowLinks` for
/// the operand, `CreateDestPath`).
struct Copier {
    let view: SourceView
    let policy: OwnershipPolicy
    /// `COPY --exclude`, matched against paths relative to the copied source.
    let exclude: PatternMatcher?
    var layer: PlannedLayer
    /// How many levels below a copied directory the walk goes (nil: all).
    var depthLimit: Int? = nil
    /// Where the first copied directory's content went (resolved).
    var topDestination: [String]? = nil

    /// Copies one match to `destination` (already resolved): a directory's contents go into
    /// it, a file goes into it when it is an existing directory and becomes it otherwise.
    mutating func copy(_ match: SourceMatch, to destination: [String]) throws {
        let sourcePath = ConfinedResolver.join(view.tree.root, match.resolved)
        guard let info = SourceHeaders.lstatInfo(sourcePath) else {
            throw CopyError.notFound("/" + match.matched.joined(separator: "/"))
        }
        let sourceIsDirectory = SourceHeaders.isDirectory(info)
        var destination = destination
        let destinationIsDirectory = try layer.statIsDirectory(destination)
        if !sourceIsDirectory, destinationIsDirectory == true {
            destination = try layer.resolve(destination) + [match.name]
        }
        var target = Array(destination.dropLast())
        if sourceIsDirectory && destinationIsDirectory == nil { target = destination }
        try layer.makeDirectories(try layer.resolve(target), owner: policy.createdOwner, mode: policy.createdMode)
        if sourceIsDirectory {
            let resolved = try layer.resolve(destination)
            if topDestination == nil { topDestination = resolved }
            try copyDirectory(sourcePath, relative: match.resolved, within: [], to: resolved, overwriteMetadata: false)
        } else {
            if isExcluded([match.name], isDirectory: false) { return }
            try addFile(sourcePath, info: info, at: destination)
        }
    }

    /// A source directory passed on the way down whose creation waits until something below it
    /// is copied (fsutil's `parentDirs`): directories the patterns leave out are only made for
    /// content that is let through.
    struct PendingDirectory {
        var path: String
        var destination: [String]
    }

    /// fsutil's `copyDirectory` walk. `included`: whether the directory itself passed the
    /// include/exclude patterns (the copied directory itself always does); then it is created (or,
    /// with `overwriteMetadata`, its existing copy takes the source metadata) at once, otherwise
    /// only when something below it is copied. Every child is matched with the patterns relative
    /// to the copied directory (`within`); a directory is walked even when left out, since a
    /// later pattern may let something below it through.
    mutating func copyDirectory(_ path: String, relative: [String], within: [String], to destination: [String],
                                overwriteMetadata: Bool, included: Bool = true, include: PatternMatcher? = nil,
                                pending: [PendingDirectory] = []) throws {
        var pending = pending
        if included {
            try makePending(pending)
            pending = []
            let info = SourceHeaders.lstatInfo(path)
            switch layer.kind(destination) {
            case .missing:
                try addFile(path, info: info!, at: destination)
            case .directory:
                if overwriteMetadata, let info { try addFile(path, info: info, at: destination) }
            case .symlink, .other:
                throw CopyError(.notADirectory, "cannot copy to non-directory: /\(destination.joined(separator: "/"))")
            }
        } else {
            pending.append(PendingDirectory(path: path, destination: destination))
        }
        if let depthLimit, within.count >= depthLimit { return }
        for name in try SourceHeaders.children(path) {
            let childRelative = relative + [name]
            let childPath = path + "/" + name
            guard let childInfo = SourceHeaders.lstatInfo(childPath) else { continue }
            let isDirectory = SourceHeaders.isDirectory(childInfo)
            guard view.isVisible(childRelative, isDirectory: isDirectory) else { continue }
            let inner = within + [name]
            let excluded = isExcluded(inner, isDirectory: isDirectory)
            let matched = include.map { (try? $0.matchesWalking(inner.joined(separator: "/"))) ?? false } ?? true
            let childIncluded = matched && !excluded
            if isDirectory {
                // Nothing below an excluded directory can come back without a `!` pattern.
                if excluded && exclude?.hasExclusions != true { continue }
                try copyDirectory(childPath, relative: childRelative, within: inner, to: destination + [name],
                                  overwriteMetadata: true, included: childIncluded, include: include, pending: pending)
            } else if childIncluded {
                try makePending(pending)
                try addFile(childPath, info: childInfo, at: destination + [name])
            }
        }
    }

    /// Creates the waiting directories that are still missing, with their source metadata.
    private mutating func makePending(_ pending: [PendingDirectory]) throws {
        for directory in pending where layer.kind(directory.destination) == .missing {
            guard let info = SourceHeaders.lstatInfo(directory.path) else { continue }
            try addFile(directory.path, info: info, at: directory.destination)
        }
    }

    private mutating func addFile(_ path: String, info: stat, at destination: [String]) throws {
        guard let entry = try SourceHeaders.entry(path: path, info: info, policy: policy) else { return }
        layer.add(destination, entry)
    }

    private func isExcluded(_ relative: [String], isDirectory: Bool) -> Bool {
        guard let exclude, !relative.isEmpty else { return false }
        return (try? exclude.matchesWalking(relative.joined(separator: "/"))) ?? false
    }
}
