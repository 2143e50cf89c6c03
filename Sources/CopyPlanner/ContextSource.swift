import ContextFilter

extension CopySourceTree {
    /// The build context at `root` filtered by `.dockerignore` patterns as BuildKit's context
    /// transfer (fsutil's walker, Docker 20.10) filters it:
    /// - a path is excluded per `PatternMatcher.matchesWalking` (last matching pattern wins,
    ///   parents' results handed down);
    /// - an excluded directory is skipped with everything below it, unless an exception
    ///   pattern (`!P`) has `P + "/"` starting with `DIR/`; then the directory itself is
    ///   kept (even if nothing below it is re-included) and its content filtered one by one.
    ///   So `** + !folder1/file` keeps an empty `folder1`, and `subdir + !*/sub1*` hides
    ///   `subdir/sub1.txt` (references up-dockerignore-allowlist-subdir-nofile-dir-buildkit,
    ///   up-copy-integration1, up-dockerignore-exceptions-skip).
    ///
    /// - Throws: `CopyError(.unsupported)` for an invalid pattern.
    public static func context(root: String, ignorePatterns: [String]) throws -> CopySourceTree {
        let matcher: PatternMatcher
        do { matcher = try PatternMatcher(ignorePatterns) } catch {
            throw CopyError(.unsupported, "invalid .dockerignore pattern: \(error)")
        }
        let exceptions = matcher.patterns.filter(\.isExclusion).map { $0.text + "/" }
        return CopySourceTree(
            root: root, isContext: true,
            excluded: { (try? matcher.matchesWalking($0)) ?? false },
            keepsExcludedDirectory: { directory in
                let prefix = directory + "/"
                return exceptions.contains { $0.hasPrefix(prefix) }
            })
    }
}
