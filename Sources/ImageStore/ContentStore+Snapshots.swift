import Foundation
import ImageSpec
#if canImport(Glibc)
import Glibc
#endif

/// Unpacked layer stacks, shared between images by chain ID (see ``ChainID``).
///
/// The store only manages folders: something else (the builder, with `LayerArchive`) fills a
/// prepared folder, then commits it. A committed snapshot is never modified in place: a builder may
/// take one out of the store (``takeSnapshot(_:unlessIn:)``, as a removal would) and commit what it
/// makes of it under another chain ID.
extension ContentStore {
    /// Where the snapshot for `chainID` lives once committed: `kiln/snapshots/<alg>-<hex>`.
    public nonisolated func snapshotPath(_ chainID: Digest) -> URL {
        location.snapshotsDirectory.appendingPathComponent("\(chainID.algorithm.rawValue)-\(chainID.hex)", isDirectory: true)
    }

    /// Whether the snapshot for `chainID` has been committed.
    public nonisolated func hasSnapshot(_ chainID: Digest) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: snapshotPath(chainID).path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// Makes a new, empty, private folder on the store's filesystem to unpack `chainID` into.
    /// Pass it to ``commitSnapshot(_:from:)`` or delete it. Stray ones are removed by ``prune()``.
    public nonisolated func prepareSnapshot(_ chainID: Digest) throws -> URL {
        let url = location.tempDirectory.appendingPathComponent("snapshot-\(chainID.hex.prefix(16))-\(getpid())-\(UInt64.random(in: 0...UInt64.max))")
        guard mkdir(url.path, 0o755) == 0 else {
            throw StoreError.io("create a snapshot folder", url.path, errno: errno)
        }
        return url
    }

    /// Atomically renames the prepared folder `temp` to ``snapshotPath(_:)``. If another task or
    /// process committed `chainID` first, `temp` is deleted and theirs is kept (same content by
    /// definition of a chain ID). Returns the snapshot path. Throws ``StoreError`` (`io`).
    @discardableResult
    public nonisolated func commitSnapshot(_ chainID: Digest, from temp: URL) throws -> URL {
        let final = snapshotPath(chainID)
        if rename(temp.path, final.path) != 0 {
            let code = errno
            guard code == EEXIST || code == ENOTEMPTY else {
                throw StoreError.io("commit the snapshot", final.path, errno: code)
            }
            try? FileManager.default.removeItem(at: temp)
            return final
        }
        try FileSystem.fsyncDirectory(location.snapshotsDirectory)
        return final
    }

    /// Takes the committed snapshot of `chainID` out of the store, for this process to turn into
    /// another one and commit that (``commitSnapshot(_:from:)``), or delete: its folder is renamed
    /// into a private folder of this process, as ``removeSnapshots(keeping:keepingPaths:)`` would
    /// remove it. Not when a live lease holds it (another process's, or this instance's own: a
    /// build that uses it) or `inUse` (the lower layers of containers, paths; asked under the store
    /// lock) names it: nil then, and nil when there is no such snapshot. Whoever needs `chainID`
    /// again unpacks it from its blob (`ImageService.snapshots(for:)`, a build's cache hit).
    public nonisolated func takeSnapshot(_ chainID: Digest, unlessIn inUse: () -> Set<String>) throws -> URL? {
        try FileLock.withExclusiveLock(location.lockFile) {
            guard !lease.holds("snapshot \(chainID)"), !liveLeases().snapshots.contains(chainID),
                  !inUse().contains(snapshotPath(chainID).path) else { return nil }
            let taken = location.tempDirectory.appendingPathComponent("snapshot-\(chainID.hex.prefix(16))-\(getpid())-\(UInt64.random(in: 0...UInt64.max))")
            guard rename(snapshotPath(chainID).path, taken.path) == 0 else {
                if errno == ENOENT { return nil }
                throw StoreError.io("take the snapshot", snapshotPath(chainID).path, errno: errno)
            }
            return taken
        }
    }

    /// Removes the snapshot for `chainID` if present. Returns whether it existed. The folder is
    /// first renamed away atomically, so no reader ever sees a half-deleted snapshot.
    @discardableResult
    public nonisolated func removeSnapshot(_ chainID: Digest) throws -> Bool {
        guard let doomed = try renameSnapshotAway(chainID) else { return false }
        do {
            try FileManager.default.removeItem(at: doomed)
        } catch {
            throw StoreError(.io, "cannot delete \(doomed.path); delete it by hand or run kiln system prune", cause: "\(error)")
        }
        return true
    }

    /// Renames the snapshot of `chainID` into a scratch folder of this process (removed with the
    /// scratch if the process dies before deleting it); nil when there is no such snapshot.
    nonisolated func renameSnapshotAway(_ chainID: Digest) throws -> URL? {
        let final = snapshotPath(chainID)
        let doomed = location.tempDirectory.appendingPathComponent("removing-\(chainID.hex.prefix(16))-\(getpid())-\(UInt64.random(in: 0...UInt64.max))")
        guard rename(final.path, doomed.path) == 0 else {
            if errno == ENOENT { return nil }
            throw StoreError.io("remove the snapshot", final.path, errno: errno)
        }
        return doomed
    }

    /// The chain IDs of every committed snapshot.
    public nonisolated func snapshots() -> [Digest] {
        FileSystem.list(location.snapshotsDirectory).compactMap { name in
            guard let dash = name.firstIndex(of: "-") else { return nil }
            return Digest("\(name[..<dash]):\(name[name.index(after: dash)...])")
        }.sorted()
    }
}
