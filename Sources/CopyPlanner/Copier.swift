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
        try layer.makeDirectories(try layer.resolve(target), owner: policy.createdOwner)
        if sourceIsDirectory {
            try copyDirectory(sourcePath, relative: match.resolved, within: [], to: try layer.resolve(destination), overwriteMetadata: false)
        } else {
            if isExcluded([match.name], isDirectory: false) { return }
            try addFile(sourcePath, info: info, at: destination)
        }
    }

    private mutating func copyDirectory(_ path: String, relative: [String], within: [String], to destination: [String],
                                        overwriteMetadata: Bool) throws {
        let info = SourceHeaders.lstatInfo(path)
        switch layer.kind(destination) {
        case .missing:
            try addFile(path, info: info!, at: destination)
        case .directory:
            if overwriteMetadata, let info { try addFile(path, info: info, at: destination) }
        case .symlink, .other:
            throw CopyError(.notADirectory, "cannot copy to non-directory: /\(destination.joined(separator: "/"))")
        }
        for name in try SourceHeaders.children(path) {
            let childRelative = relative + [name]
            let childPath = path + "/" + name
            guard let childInfo = SourceHeaders.lstatInfo(childPath) else { continue }
            let isDirectory = SourceHeaders.isDirectory(childInfo)
            guard view.isVisible(childRelative, isDirectory: isDirectory) else { continue }
            let excluded = isExcluded(within + [name], isDirectory: isDirectory)
            if isDirectory {
                if excluded && exclude?.hasExclusions != true { continue }
                try copyDirectory(childPath, relative: childRelative, within: within + [name],
                                  to: destination + [name], overwriteMetadata: true)
            } else if !excluded {
                try addFile(childPath, info: childInfo, at: destination + [name])
            }
        }
    }

    private mutating func addFile(_ path: String, info: stat, at destination: [String]) throws {
        guard let entry = try SourceHeaders.entry(path: path, info: info, policy: policy) else { return }
        layer.add(destination, entry)
    }

    /// A whole directory below an included path (`--parents`).
    mutating func copyTree(_ path: String, relative: [String], within: [String], to destination: [String]) throws {
        try copyDirectory(path, relative: relative, within: within, to: destination, overwriteMetadata: true)
    }

    mutating func addEntry(_ path: String, info: stat, at destination: [String]) throws {
        try addFile(path, info: info, at: destination)
    }

    func isExcludedPath(_ relative: [String]) -> Bool {
        isExcluded(relative, isDirectory: false)
    }

    private func isExcluded(_ relative: [String], isDirectory: Bool) -> Bool {
        guard let exclude, !relative.isEmpty else { return false }
        return (try? exclude.matchesWalking(relative.joined(separator: "/"))) ?? false
    }
}
