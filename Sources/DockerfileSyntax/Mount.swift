/// The expansion applied to each `--mount` option value (the builder's ARG/ENV expansion).
public typealias MountExpander = (String) throws(DockerfileError) -> String

/// `RUN --mount=type=...` kinds.
public enum MountType: String, Sendable, Hashable, CaseIterable {
    case bind, cache, tmpfs, secret, ssh
}

/// `sharing=` of a cache mount.
public enum CacheSharing: String, Sendable, Hashable, CaseIterable {
    case shared, `private`, locked
}

/// One typed `RUN --mount`. String fields use `""` for "not given", as BuildKit does (so
/// `source=` counts as unset).
public struct Mount: Sendable, Hashable {
    public var type: MountType = .bind
    /// Stage, image or named context to mount from (bind, cache).
    public var from: String = ""
    /// Path in `from` (bind, cache), or the secret id (secret).
    public var source: String = ""
    /// Mount point; relative paths are joined with WORKDIR by the builder.
    public var target: String = ""
    /// Defaults: bind, secret and ssh read-only; cache and tmpfs read-write.
    public var readOnly: Bool = true
    /// `id=`: cache id, secret id or ssh id. Empty means the type's default (see `effectiveID`).
    public var cacheID: String = ""
    /// Cache sharing; `.shared` by default for cache mounts, nil for other types.
    public var sharing: CacheSharing?
    /// secret and ssh: fail when the secret or agent is missing. Default false.
    public var required: Bool = false
    /// tmpfs `size=` in bytes (`units.RAMInBytes`); nil when not given.
    public var sizeLimit: Int64?
    /// File mode (cache, secret, ssh); nil means the type's default (see `effectiveMode`).
    public var mode: UInt32?
    public var uid: UInt32?
    public var gid: UInt32?
    /// secret: the environment variable to expose the secret as.
    public var env: String?

    public init(type: MountType = .bind) {
        self.type = type
        self.readOnly = Mount.defaultReadOnly(type)
        if type == .cache { sharing = .shared }
    }

    static func defaultReadOnly(_ type: MountType) -> Bool {
        type != .cache && type != .tmpfs
    }

    /// The mode the builder uses: the given one, else cache 0755, secret 0400, ssh 0600.
    public var effectiveMode: UInt32? {
        if let mode { return mode }
        switch type {
        case .cache: return 0o755
        case .secret: return 0o400
        case .ssh: return 0o600
        case .bind, .tmpfs: return nil
        }
    }

    /// The id the builder uses: the given one, else cache: the cleaned target; secret: the
    /// source, else the target's base name; ssh: `default`; bind/tmpfs: empty.
    public var effectiveID: String {
        if !cacheID.isEmpty { return cacheID }
        switch type {
        case .cache: return MountPaths.clean(target)
        case .secret: return source.isEmpty ? MountPaths.baseName(target) : source
        case .ssh: return "default"
        case .bind, .tmpfs: return ""
        }
    }
}

/// Go `path.Clean` / `path.Base` for mount defaults.
enum MountPaths {
    static func clean(_ path: String) -> String {
        guard !path.isEmpty else { return "." }
        let rooted = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if let last = parts.last, last != ".." { parts.removeLast() } else if !rooted { parts.append(part) }
                continue
            }
            parts.append(part)
        }
        let joined = parts.joined(separator: "/")
        if rooted { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    static func baseName(_ path: String) -> String {
        guard !path.isEmpty else { return "." }
        let trimmed = path.split(separator: "/", omittingEmptySubsequences: true)
        return trimmed.last.map(String.init) ?? "/"
    }
}
