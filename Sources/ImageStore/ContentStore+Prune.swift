import Foundation
import ImageSpec

/// What ``ContentStore/prune(strayAge:keepingBuildCache:)`` deleted.
public struct PruneReport: Sendable {
    /// Unreferenced blobs removed.
    public var removedBlobs: [Digest]
    /// Bytes freed by removing them.
    public var reclaimedBytes: Int64
    /// Leftover temp files and folders removed.
    public var removedTempFiles: [String]
}

/// Space used by one image, for `kiln system df`.
public struct ImageUsage: Sendable, Hashable {
    public var reference: ImageReference
    public var descriptor: Descriptor
    /// Bytes of every blob the image needs.
    public var totalSize: Int64
    /// Bytes of blobs no other reference needs (freed by removing just this image).
    public var uniqueSize: Int64
    /// Bytes of blobs other references need too.
    public var sharedSize: Int64 { totalSize - uniqueSize }
}

/// Space used by the store.
public struct DiskUsage: Sendable {
    /// Bytes of all blob files.
    public var totalBlobBytes: Int64
    public var blobCount: Int
    /// Bytes of blobs no reference needs (what ``ContentStore/prune(strayAge:)`` would free).
    public var unreferencedBytes: Int64
    public var images: [ImageUsage]
}

extension ContentStore {
    /// Garbage collection: removes every blob not reachable from a reference in `index.json`
    /// (index → manifests → config and layers), and temp files in `kiln/tmp` older than
    /// `strayAge` seconds (younger ones may belong to an ingest still running in another process).
    ///
    /// Runs under the store lock, so no reference changes meanwhile. Blobs a live process holds
    /// (``hold(blobs:snapshots:)``: every blob a process ingests, a build's base image) are kept
    /// although unreferenced, so a concurrent pull or build loses nothing it has not tagged yet.
    /// A missing or unreadable manifest keeps what it could be walked to; nothing else is removed
    /// on its account. Throws ``StoreError`` (`corruptStore`) if `index.json` is unreadable (then
    /// nothing is removed).
    ///
    /// The layers that build cache records name (``buildCacheEntries()``) stay too unless
    /// `keepingBuildCache` is false: a layer only a build made (a builder stage of a multistage
    /// build, a step of an image since rebuilt) is what lets the next build skip that step.
    @discardableResult
    /// Blobs in `keeping` stay as well (the images of containers).
    public func prune(strayAge: TimeInterval = 3600, keepingBuildCache: Bool = true, keeping: Set<Digest> = []) throws -> PruneReport {
        try FileLock.withExclusiveLock(location.lockFile) {
            var live = try referencedBlobs().union(keeping)
            if keepingBuildCache { live.formUnion(buildCacheEntries().map(\.layer.digest)) }
            live.formUnion(liveLeases().blobs)
            var report = PruneReport(removedBlobs: [], reclaimedBytes: 0, removedTempFiles: [])
            for (digest, size) in blobFiles().blobs.sorted(by: { $0.key < $1.key }) where !live.contains(digest) {
                if unlink(location.blobPath(digest).path) == 0 {
                    report.removedBlobs.append(digest)
                    report.reclaimedBytes += size
                }
            }
            for url in tempEntries(olderThan: strayAge) where Self.removeUnmounting(url) {
                report.removedTempFiles.append(url.path)
            }
            return report
        }
    }

    /// Blob space in total and per reference (unique vs shared). Reads manifests, not layers.
    public nonisolated func diskUsage() throws -> DiskUsage {
        let files = blobFiles().blobs
        var problems: [StoreProblem] = []
        let tagged = try list()
        let perImage = tagged.map { reachableBlobs(from: $0.descriptor, via: "", problems: &problems) }
        var users: [Digest: Int] = [:]
        for blobs in perImage {
            for digest in blobs.keys { users[digest, default: 0] += 1 }
        }
        let images = zip(tagged, perImage).map { image, blobs in
            var usage = ImageUsage(reference: image.reference, descriptor: image.descriptor, totalSize: 0, uniqueSize: 0)
            for digest in blobs.keys {
                let size = files[digest] ?? 0
                usage.totalSize += size
                if users[digest] == 1 { usage.uniqueSize += size }
            }
            return usage
        }
        // Entries without a valid reference name (other tools') still keep blobs alive, as in prune.
        var live = Set(users.keys)
        for entry in try readIndex().manifests where Self.kilnReference(of: entry) == nil {
            live.formUnion(reachableBlobs(from: entry, via: "", problems: &problems).keys)
        }
        let unreferenced = files.filter { !live.contains($0.key) }.values.reduce(0, +)
        return DiskUsage(totalBlobBytes: files.values.reduce(0, +), blobCount: files.count, unreferencedBytes: unreferenced, images: images)
    }
}
