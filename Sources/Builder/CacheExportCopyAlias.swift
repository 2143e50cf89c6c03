import Foundation

/// A COPY/ADD's alias key, so that a build can skip a copy taken from an imported cache without
/// fetching the layers below it.
///
/// A copy's cache key depends on the image's filesystem below it (the plan resolves the
/// destination against it, and `--chown` names in its /etc/passwd), so computing it needs those
/// layers' files. But that filesystem is itself fixed by the parent key (every layer-making step
/// chains its key), so the copy's key is a function of the parent key and the copy's own inputs.
/// The alias key is computed from exactly those, planning against an empty filesystem; a build
/// that computes the real key records `alias → key`, exports it (a record linked to the real one,
/// see `BuildKitCacheConfig.aliasSelector`), and another store that finds the alias in an import
/// reuses the real key's layer without reading the filesystem.
enum CopyAlias {
    /// The alias key; nil when it cannot be computed without the filesystem (`--chown` names) or
    /// planning fails (the real plan then reports the error).
    static func key(_ op: CopyOperands, state: StageState, parts: ((uid: UInt32, gid: UInt32)?) throws -> [String],
                    owner: () throws -> (uid: UInt32, gid: UInt32)?) -> String? {
        let resolvedOwner: (uid: UInt32, gid: UInt32)?
        if op.chown == nil {
            resolvedOwner = nil
        } else {
            guard let numeric = try? owner() else { return nil }
            resolvedOwner = numeric
        }
        guard let planned = try? parts(resolvedOwner) else { return nil }
        return BuildCache.key(state.cacheKey, ["copy-alias-v1", op.chown ?? "", state.workingDirectory,
                                               state.config.config.user ?? ""] + planned)
    }

    /// The alias key of a copy from an earlier stage: the stage's own key fixes its files, so
    /// no planning is needed, and neither stage's lazily imported layers are fetched on a hit.
    static func stageKey(_ op: CopyOperands, state: StageState, source: StageState, history: String,
                         sources: [String], destination: String) -> String {
        BuildCache.key(state.cacheKey, ["copy-stage-alias-v1", history, "stage:" + source.cacheKey, sources.joined(separator: "\n"),
                                        destination, op.chown ?? "", op.chmod ?? "", op.excludes.joined(separator: "\n"),
                                        "\(op.parents)", state.workingDirectory, state.config.config.user ?? ""])
    }
}
