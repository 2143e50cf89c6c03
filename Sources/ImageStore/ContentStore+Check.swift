import Foundation
import ImageSpec

/// The result of ``ContentStore/check(removingStrayFiles:)``.
public struct CheckReport: Sendable {
    /// Everything found wrong; empty when the store is healthy.
    public var problems: [StoreProblem]
    /// How many blob files were hashed.
    public var blobsVerified: Int
    /// Leftover temp files that were deleted (only with `removingStrayFiles`).
    public var removed: [String]

    public var isHealthy: Bool { problems.isEmpty }
}

extension ContentStore {
    /// Verifies the whole store (what `kiln system check` runs):
    /// - every blob file hashes to its name (a full read of every blob);
    /// - every reference in `index.json` points at a present, decodable manifest or index, and every
    ///   config, layer and child manifest they list is present;
    /// - leftover temp files (from a crash) in `kiln/tmp` older than `strayAge` seconds and
    ///   non-digest files under `blobs/` are reported, and deleted when `removingStrayFiles`.
    ///
    /// Problems are returned, not thrown. Throws ``StoreError`` only when `index.json` is unreadable.
    /// Blobs are hashed without the store lock (they never change in place; one removed meanwhile by
    /// a prune is skipped); the reference walk and the clean-up hold it.
    public func check(removingStrayFiles: Bool = false, strayAge: TimeInterval = 3600) throws -> CheckReport {
        var problems: [StoreProblem] = []
        let (blobs, strayBlobs) = blobFiles()
        for (digest, _) in blobs.sorted(by: { $0.key < $1.key }) {
            try Task.checkCancellation()
            if let actual = try? hashFile(location.blobPath(digest), algorithm: digest.algorithm), actual != digest {
                problems.append(StoreProblem(kind: .corruptBlob, message: "blob \(digest) is corrupt: its content hashes to \(actual); remove the images using it (kiln rmi), run kiln system prune, then pull or build them again", digest: digest))
            }
        }
        return try FileLock.withExclusiveLock(location.lockFile) {
            var removed: [String] = []
            let index = try readIndex()
            for entry in index.manifests {
                let name = entry.referenceName.map { "reference \($0)" } ?? "index.json entry \(entry.digest)"
                _ = reachableBlobs(from: entry, via: name, problems: &problems)
            }
            for url in strayBlobs + tempEntries(olderThan: strayAge) {
                if removingStrayFiles, Self.removeUnmounting(url) {
                    removed.append(url.path)
                } else {
                    problems.append(StoreProblem(kind: .strayFile, message: "\(url.path) is a leftover file; kiln system check --repair or kiln system prune removes it"))
                }
            }
            return CheckReport(problems: problems, blobsVerified: blobs.count, removed: removed)
        }
    }

    /// The digest of the file at `url`, read 1 MiB at a time.
    nonisolated func hashFile(_ url: URL, algorithm: DigestAlgorithm) throws -> Digest {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var digester = Digester(algorithm: algorithm)
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            digester.update(chunk)
        }
        return digester.finalize()
    }
}
