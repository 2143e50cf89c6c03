#if canImport(Glibc)
import Glibc
#endif

/// One file or directory a source operand names.
struct SourceMatch {
    /// Its path in the source tree, every symlink resolved (confined to the root).
    var resolved: [String]
    /// The name it is copied under when copied into a directory: the operand's (or the
    /// wildcard match's) last component, never the symlink target's.
    var name: String
    /// The matched path before resolving symlinks (for `--parents`).
    var matched: [String]
}

/// The source tree as `COPY` sees it: `.dockerignore`d paths are invisible.
struct SourceView {
    let tree: CopySourceTree

    /// What a path is; an invisible path is `.missing`.
    func kind(_ components: [String]) -> NodeKind {
        let kind = ConfinedResolver.kind(root: tree.root, components)
        if kind == .missing || isVisible(components, isDirectory: kind == .directory) { return kind }
        return .missing
    }

    /// Whether a path is part of the context: its parent directories are, and it is not
    /// excluded — or it is an excluded directory the context keeps (`keepsExcludedDirectory`,
    /// or by default one that still holds something not excluded).
    func isVisible(_ components: [String], isDirectory: Bool) -> Bool {
        guard tree.isContext, !components.isEmpty else { return true }
        if components.count > 1 {
            for count in 1..<components.count where !isOwnVisible(Array(components.prefix(count)), isDirectory: true) {
                return false
            }
        }
        return isOwnVisible(components, isDirectory: isDirectory)
    }

    /// Visibility of a path whose parents are visible.
    private func isOwnVisible(_ components: [String], isDirectory: Bool) -> Bool {
        let path = components.joined(separator: "/")
        guard tree.excluded(path) else { return true }
        guard isDirectory else { return false }
        if let keeps = tree.keepsExcludedDirectory { return keeps(path) }
        return hasVisibleDescendant(components)
    }

    private func hasVisibleDescendant(_ components: [String]) -> Bool {
        let path = ConfinedResolver.join(tree.root, components)
        guard let names = try? SourceHeaders.children(path) else { return false }
        for name in names {
            let child = components + [name]
            let isDir = ConfinedResolver.kind(root: tree.root, child) == .directory
            // Only the child's own visibility: its parents are the directory being asked about
            // (asking isVisible would ask about that directory again, without end).
            if isOwnVisible(child, isDirectory: isDir) { return true }
        }
        return false
    }

    /// The files an operand names. A plain operand that names nothing throws `notFound`; a
    /// wildcard that matches nothing gives no matches (BuildKit allows empty wildcards).
    func matches(_ operand: String) throws -> [SourceMatch] {
        let components = ConfinedResolver.clean(operand)
        guard let first = components.firstIndex(where: GoMatch.hasWildcards) else {
            let resolved = try ConfinedResolver.resolve(components) { kind($0) }
            guard kind(resolved) != .missing else { throw CopyError.notFound("/" + components.joined(separator: "/")) }
            return [SourceMatch(resolved: resolved, name: components.last ?? "/", matched: components)]
        }
        let base = try ConfinedResolver.resolve(Array(components[..<first])) { kind($0) }
        guard kind(base) == .directory else { return [] }
        var current: [[String]] = [base]
        for (index, pattern) in components[first...].enumerated() {
            let last = index == components.count - first - 1
            var next: [[String]] = []
            for dir in current {
                for name in try SourceHeaders.children(ConfinedResolver.join(tree.root, dir)) where GoMatch.matches(pattern, name) {
                    let child = dir + [name]
                    let childKind = kind(child)
                    if childKind == .missing { continue }
                    if !last && childKind != .directory { continue }
                    next.append(child)
                }
            }
            current = next
        }
        return try current.map { match in
            let resolved = try ConfinedResolver.resolve(match) { kind($0) }
            guard kind(resolved) != .missing else { throw CopyError.notFound("/" + match.joined(separator: "/")) }
            return SourceMatch(resolved: resolved, name: match.last ?? "/", matched: match)
        }
    }
}
