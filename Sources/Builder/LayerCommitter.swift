import Foundation
import ImageSpec
import ImageStore
import LayerArchive

/// Turns layer entries into a gzip layer blob in the store and an unpacked snapshot.
struct LayerCommitter {
    let store: ContentStore
    /// `SOURCE_DATE_EPOCH`: mtimes later than it are written as it, while the tar is written.
    var clampTime: Int64? = nil

    /// A fresh private directory under the store's temp directory.
    func scratchDirectory(_ prefix: String) throws -> URL {
        try store.makeScratchDirectory(prefix)
    }

    /// Writes `entries` as a layer blob, ingests it, appends it to `state` and makes its snapshot.
    func commit(_ entries: [LayerEntry], onto state: inout StageState) async throws -> (Descriptor, Digest) {
        let dir = try scratchDirectory("layer")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("layer.tar.gz").path
        let file = try FileDescriptor.create(writing: path)
        // gzip on every core, in independent blocks (a standard gzip stream that any reader accepts).
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let (digests, _) = try LayerDiff.writeLayer(entries, to: file, compression: .parallelGzip(level: -1, workers: workers),
                                                   clampingTimesTo: clampTime)
        let descriptor = digests.descriptor(mediaType: .ociLayerGzip)
        _ = try await store.ingest(expected: descriptor, contentsOf: URL(fileURLWithPath: path))
        try append(descriptor, diffID: digests.diffID, to: &state)
        return (descriptor, digests.diffID)
    }

    /// Appends an existing layer (from the cache) and makes sure its snapshot exists.
    func append(_ layer: Descriptor, diffID: Digest, to state: inout StageState) throws {
        var diffIDs = state.config.rootfs.diffIDs
        diffIDs.append(diffID)
        let chainID = ChainID.compute(diffIDs: diffIDs)!
        // Held for the rest of the build: a concurrent prune or rmi must not take it away.
        try store.hold(blobs: [layer.digest], snapshots: [chainID])
        _ = try store.open(layer.digest)  // still there once held (a prune may have run just before)
        if !store.hasSnapshot(chainID) {
            let temp = try store.prepareSnapshot(chainID)
            do {
                let blob = try store.open(layer.digest)
                _ = try LayerApplier(target: temp.path, options: LayerApplyOptions(whiteouts: .overlayMarkers))
                    .apply(blobFile: blob.path)
                try store.commitSnapshot(chainID, from: temp)
            } catch {
                try? FileManager.default.removeItem(at: temp)
                throw error
            }
        }
        state.config.rootfs.diffIDs = diffIDs
        state.layers.append(layer)
        state.snapshots.append(store.snapshotPath(chainID))
    }
}
