import Foundation
import ImageSpec
#if canImport(Glibc)
import Glibc
#endif

/// Leases: what a running kiln process holds in the store although no reference names it yet — a
/// pull's blobs before the tag, a build's base image, committed layers and snapshots. ``prune(strayAge:)``
/// and ``removeSnapshots(keeping:keepingPaths:)`` keep everything a live lease of another store
/// instance (in practice: another kiln process) names, as they keep what `index.json` names.
///
/// One file per ``ContentStore`` instance, `kiln/leases/<pid>-<random>`, one held item a line
/// (`blob sha256:…` or `snapshot sha256:…`), appended under the store lock, so a prune either sees
/// the line or finishes before it is written. The file goes when the store instance goes; a file
/// whose process is gone (SIGKILL) is ignored and deleted by the next prune or store start.
final class StoreLease: @unchecked Sendable {
    let file: URL
    private let lockFile: URL
    private let mutex = NSLock()
    private var fd: Int32 = -1
    private var held = Set<String>()

    init(location: StoreLocation) {
        file = location.leasesDirectory.appendingPathComponent("\(getpid())-\(UInt64.random(in: 0...UInt64.max))")
        lockFile = location.lockFile
    }

    deinit {
        if fd >= 0 {
            close(fd)
            unlink(file.path)
        }
    }

    /// Adds `lines` to the lease file (those not held yet), under the store lock.
    func hold(_ lines: [String]) throws {
        try mutex.withLock {
            var new: [String] = []
            for line in lines where !held.contains(line) && !new.contains(line) { new.append(line) }
            guard !new.isEmpty else { return }
            try FileLock.withExclusiveLock(lockFile) {
                if fd < 0 {
                    try FileSystem.makeDirectory(file.deletingLastPathComponent())
                    fd = open(file.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
                    guard fd >= 0 else { throw StoreError.io("create the lease file", file.path, errno: errno) }
                }
                let text = Data((new.joined(separator: "\n") + "\n").utf8)
                try text.withUnsafeBytes { try FileSystem.writeAll(fd, $0, path: file.path) }
            }
            held.formUnion(new)
        }
    }

    /// Whether this instance holds `line`.
    func holds(_ line: String) -> Bool {
        mutex.withLock { held.contains(line) }
    }
}

/// What the live leases of a store hold.
struct LeasedContent {
    var blobs = Set<Digest>()
    var snapshots = Set<Digest>()
}

extension ContentStore {
    /// Keeps `blobs` (and the snapshots of `snapshots`, chain IDs) from being pruned or removed
    /// until this store instance is released or its process ends, referenced or not. Call it
    /// before checking that they are present. Idempotent. Throws ``StoreError`` (`io`).
    public nonisolated func hold(blobs: [Digest] = [], snapshots: [Digest] = []) throws {
        try lease.hold(blobs.map { "blob \($0)" } + snapshots.map { "snapshot \($0)" })
    }

    /// Everything the live leases of *other* store instances hold (this instance's own holdings
    /// are its caller's business: a process that untags what it pulled may prune it); files of
    /// processes that are gone are deleted. Call it with the store lock held, so that no lease
    /// line is being added meanwhile.
    nonisolated func liveLeases() -> LeasedContent {
        var content = LeasedContent()
        for name in FileSystem.list(location.leasesDirectory) where name != lease.file.lastPathComponent {
            let url = location.leasesDirectory.appendingPathComponent(name)
            guard let pid = name.split(separator: "-").first.flatMap({ Int32($0) }), pid > 0,
                  kill(pid, 0) == 0 || errno == EPERM else {
                unlink(url.path)
                continue
            }
            guard let text = try? String(contentsOf: url, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: " ", maxSplits: 1)
                guard parts.count == 2, let digest = Digest(String(parts[1])) else { continue }
                if parts[0] == "blob" { content.blobs.insert(digest) } else if parts[0] == "snapshot" { content.snapshots.insert(digest) }
            }
        }
        return content
    }

    /// Removes every committed snapshot whose chain ID is not in `used`, not held by a live lease,
    /// and whose path is not in `keepingPaths` (containers' lower layers). The choice is made under
    /// the store lock (so a lease taken meanwhile is honoured); the deletion happens after.
    /// Returns the chain IDs removed. Throws ``StoreError`` (`io`).
    public func removeSnapshots(keeping used: Set<Digest>, keepingPaths: Set<String> = []) throws -> [Digest] {
        let doomed: [(Digest, URL)] = try FileLock.withExclusiveLock(location.lockFile) {
            let leased = liveLeases().snapshots
            var moved: [(Digest, URL)] = []
            for chainID in snapshots() where !used.contains(chainID) && !leased.contains(chainID)
                && !keepingPaths.contains(snapshotPath(chainID).path) {
                if let away = try renameSnapshotAway(chainID) { moved.append((chainID, away)) }
            }
            return moved
        }
        for (_, url) in doomed {
            do {
                try FileManager.default.removeItem(at: url)
            } catch {
                throw StoreError(.io, "cannot delete \(url.path); delete it by hand or run kiln system prune", cause: "\(error)")
            }
        }
        return doomed.map(\.0)
    }
}
