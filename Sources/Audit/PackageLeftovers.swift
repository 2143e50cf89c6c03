/// Package-manager files a build should have removed in the same RUN that made them: apt's
/// package lists and downloaded archives, pip's and npm's caches, apk's cache.
enum PackageLeftovers {
    struct Category: Hashable, Sendable {
        var name: String
        var advice: String
    }

    static let aptLists = Category(name: "apt package lists (/var/lib/apt/lists)", advice: "end the RUN that ran apt-get update with `&& rm -rf /var/lib/apt/lists/*`")
    static let aptArchives = Category(name: "apt downloaded packages (/var/cache/apt/archives)", advice: "run `apt-get clean` in the same RUN as apt-get install")
    static let pipCache = Category(name: "pip cache (~/.cache/pip)", advice: "use `pip install --no-cache-dir` or a cache mount (RUN --mount=type=cache,target=/root/.cache/pip)")
    static let npmCache = Category(name: "npm cache (~/.npm/_cacache)", advice: "run `npm cache clean --force` in the same RUN, or use a cache mount")
    static let apkCache = Category(name: "apk cache (/var/cache/apk)", advice: "use `apk add --no-cache`")

    /// The leftover category of a regular file at `path` (cleaned, relative), or nil.
    static func category(of path: String) -> Category? {
        if path.hasPrefix("var/lib/apt/lists/") {
            let rest = path.dropFirst("var/lib/apt/lists/".count)
            if rest == "lock" || rest.hasPrefix("partial/") || rest.hasPrefix("auxfiles/") { return nil }
            return aptLists
        }
        if path.hasPrefix("var/cache/apt/archives/"), path.hasSuffix(".deb") { return aptArchives }
        if path.hasPrefix("var/cache/apk/"), path.hasSuffix(".tar.gz") || path.hasSuffix(".apk") { return apkCache }
        if let range = path.range(of: ".cache/pip/"), range.lowerBound == path.startIndex || path[path.index(before: range.lowerBound)] == "/" { return pipCache }
        if let range = path.range(of: ".npm/_cacache/"), range.lowerBound == path.startIndex || path[path.index(before: range.lowerBound)] == "/" { return npmCache }
        return nil
    }
}
