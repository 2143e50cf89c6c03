import ContextFilter
#if canImport(Glibc)
import Glibc
#endif

/// `COPY --parents` as BuildKit's `dispatchCopy` turns it into a copy: the operand is cut at its
/// first `/./` into the directory to copy from (the part before, `/` when there is no pivot; it
/// may hold wildcards) and an include pattern (the part after, cleaned, `**` allowed). The
/// contents of each matching directory that the pattern (or a parent of it) matches are copied
/// into the destination under their path relative to that directory; the directories leading
/// to them are created with their source metadata (fsutil's copy with `IncludePatterns`). A
/// pattern that matches nothing copies nothing; a plain operand naming nothing is an error. `--exclude` patterns are relative to the same
/// directory.
extension CopyPlanner {
    static func copyParents(_ operand: String, into destination: [String], view: SourceView, copier: inout Copier) throws {
        let from: String
        let pattern: String
        if let pivot = operand.range(of: "/./") {
            from = String(operand[..<pivot.lowerBound])
            pattern = String(operand[pivot.upperBound...])
        } else {
            from = "/"
            pattern = operand
        }
        let cleaned = ConfinedResolver.clean(pattern).joined(separator: "/")
        var include: PatternMatcher?
        if !cleaned.isEmpty {
            do { include = try PatternMatcher([cleaned]) } catch {
                throw CopyError(.unsupported, "invalid --parents pattern \(pattern): \(error)")
            }
        }
        // A plain operand (no wildcard) naming nothing fails as a plain COPY does ("/PATH": not
        // found); a wildcard matching nothing copies nothing (frontend/dockerfile
        // testCopyParentsMissingDirectory).
        if !operand.contains(where: { "*?[\\".contains($0) }) {
            _ = try view.matches(cleaned.isEmpty ? from : from + "/" + cleaned)
        }
        for match in try view.matches(from) {
            try copier.copyIncluded(match, include: include, to: try copier.layer.resolve(destination))
        }
    }
}

extension Copier {
    /// Copies what `include` lets through below the directory `match` into `destination`.
    mutating func copyIncluded(_ match: SourceMatch, include: PatternMatcher?, to destination: [String]) throws {
        let rootPath = ConfinedResolver.join(view.tree.root, match.resolved)
        guard let info = SourceHeaders.lstatInfo(rootPath) else {
            throw CopyError.notFound("/" + match.matched.joined(separator: "/"))
        }
        guard SourceHeaders.isDirectory(info) else {
            try copy(match, to: destination)
            return
        }
        // The copied directory itself is always let through; its contents are matched against
        // the include pattern relative to it.
        try copyDirectory(rootPath, relative: match.resolved, within: [], to: destination, overwriteMetadata: false,
                          include: include)
    }
}
