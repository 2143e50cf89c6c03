import Foundation
import ImageSpec
import ImageStore
import LayerArchive

/// Turns layer entries into an uncompressed layer blob in the store and an unpacked snapshot.
///
/// Layers are stored as plain tar (`application/vnd.oci.image.layer.v1.tar`, blob digest = diff
/// ID), written once straight into the store's temp folder and hashed in the same pass; nothing is
/// compressed on the build path. Compression happens when an image leaves the machine (push,
/// save, `-o type=oci`), through `LayerVariants`.
struct LayerCommitter {
    let store: ContentStore
    /// `SOURCE_DATE_EPOCH`: mtimes later than it are written as it, while the tar is written.
    var clampTime: Int64? = nil
    /// `--trace`: the `commit` (layer written and stored) and `snapshot` phases.
    var trace: BuildTrace? = nil

    /// A fresh private directory under the store's temp directory.
    func scratchDirectory(_ prefix: String) throws -> URL {
        try store.makeScratchDirectory(prefix)
    }

    /// Writes `entries` as a layer blob, ingests it, appends it to `state` and makes its snapshot.
    /// `discardable`: a folder whose files the caller gives up (a RUN's overlay upper directory);
    /// the snapshot then takes their content by rename instead of writing it again
    /// (``LayerApplyOptions/movableContent``).
    /// `linkKey`: the step's identity without its sources' content (a COPY's plan-memo key): the
    /// snapshot is then made by hard links to the unchanged files of the snapshot the last build
    /// of that step made (``SnapshotLinks``), and this one is remembered for the next.
    func commit(_ entries: [LayerEntry], onto state: inout StageState, step: String = "",
                discardable: String? = nil, linkKey: String? = nil) async throws -> (Descriptor, Digest) {
        let started = DispatchTime.now().uptimeNanoseconds
        let wallStarted = SnapshotLinks.now()
        let (fd, temp) = try store.makeBlobTempFile("layer")
        let descriptor: Descriptor, diffID: Digest
        var stamps: [ContentStamp?] = []
        var resumed: ResumedWrite?
        let links = SnapshotLinks(directory: store.buildCacheDirectory.appendingPathComponent("snapshot-links"))
        // A layer whose snapshot will be unpacked whole (not taken by rename from a RUN's upper
        // directory, nor by links to an earlier build's snapshot) is unpacked on another core while
        // it is written (ConcurrentSnapshot).
        let concurrent = discardable == nil && (linkKey.map { !links.exists($0) } ?? true)
            ? ConcurrentSnapshot(store: store, blobPath: temp.path) : nil
        defer { concurrent?.discardUnused() }
        do {
            let file = FileDescriptor(fd: fd)
            if let linkKey {
                // Written and hashed from the first changed entry on (LayerResume).
                let write = try writeResumable(entries, to: fd, key: linkKey, settledBefore: wallStarted - 100_000_000)
                stamps = write.stamps
                diffID = write.digest
                descriptor = Descriptor(mediaType: .ociLayer, digest: write.digest, size: write.size)
                resumed = write
            } else {
                // Zero blocks stay holes and writeback starts while the layer is still being written,
                // so adoptBlob's fsync waits for little (BlobFileSink).
                // A large layer not unpacked on the second core meanwhile (a RUN's) is hashed there
                // while this thread reads and another writes it (ConcurrentHashSink), with O_DIRECT
                // when its snapshot is made from the entries, not by reading the blob back: then
                // nobody reads the blob now, and the page-cache copy and writeback cost more than
                // the disk write (bench/results/20261204-direct-blobs.md).
                let hashConcurrently = concurrent == nil && Self.contentBytes(entries) >= Self.concurrentHashThreshold
                let sink = try BlobFileSink(fd: fd, direct: hashConcurrently && discardable != nil)
                let (digests, _) = try LayerDiff.writeLayer(entries, to: sink, compression: .none, clampingTimesTo: clampTime,
                                                            hashConcurrently: hashConcurrently)
                try sink.finish()
                descriptor = digests.descriptor(mediaType: .ociLayer)
                diffID = digests.diffID
            }
            withExtendedLifetime(file) {}
            concurrent?.writerFinished(size: descriptor.size)
            try store.adoptBlob(temp, as: descriptor)
        } catch {
            concurrent?.writerFailed()
            unlink(temp.path)
            throw error
        }
        if let linkKey, let resumed {
            layerResume.save(linkKey, resumed.record)
            trace?.record("commit", step: step, start: started,
                          detail: "hashed from entry \(resumed.resumedAt) of \(entries.count); \(resumed.copiedBytes) of \(resumed.record.size) bytes copied, \(resumed.writtenEntries) entries read")
        }
        if resumed == nil { trace?.record("commit", step: step, start: started) }
        var movable: [String: String] = [:]
        if let discardable {
            let prefix = discardable.hasSuffix("/") ? discardable : discardable + "/"
            for entry in entries where entry.header.type == .regular {
                if let path = entry.contentPath, path.hasPrefix(prefix) { movable[entry.header.path] = path }
            }
        }
        guard let linkKey, stamps.count == entries.count else {
            // A RUN's snapshot is made from its entries (their files are kiln's own upper directory,
            // unchanged since they were written), not by reading the blob back.
            try append(descriptor, diffID: diffID, to: &state, step: step, movableContent: movable, unpacked: concurrent,
                       fromEntries: discardable == nil ? nil : LayerEntriesSource(entries, clampingTimesTo: clampTime))
            return (descriptor, diffID)
        }
        // The last build's snapshot of this step, patched, when nothing else uses it (LayerCommitter+Reuse).
        let reuseStarted = DispatchTime.now().uptimeNanoseconds
        let chainID = ChainID.compute(diffIDs: state.config.rootfs.diffIDs + [diffID])!
        let reused = resumed.flatMap {
            (try? reuseEarlierSnapshot(entries, write: $0, blob: descriptor, parentDiffIDs: state.config.rootfs.diffIDs, as: chainID)) ?? nil
        }
        if let reused { trace?.record("snapshot", step: step, start: reuseStarted, detail: reused) }
        let linkStarted = DispatchTime.now().uptimeNanoseconds
        let previous = reused == nil ? links.load(linkKey) : nil
        // Held while its files are linked: another build cannot take it over meanwhile (LayerCommitter+Reuse).
        let earlier = previous.flatMap {
            (try? store.hold(snapshots: [$0.chainID])) != nil && store.hasSnapshot($0.chainID) ? store.snapshotPath($0.chainID).path : nil
        }
        var records: [[UInt8]] = []
        var linkable = Set<String>()
        let settled = wallStarted - 100_000_000
        for (entry, stamp) in zip(entries, stamps) {
            guard let stamp, entry.header.type == .regular, stamp.changed < settled else { continue }
            var header = entry.header
            if let clampTime, header.modificationTime > TarTime(seconds: clampTime) { header.modificationTime = TarTime(seconds: clampTime) }
            let record = SnapshotLinks.record(header, stamp: stamp)
            if earlier != nil, previous!.records.contains(SnapshotLinks.Record(bytes: record)) { linkable.insert(header.path) }
            records.append(record)
        }
        trace?.record("snapshot-links", step: step, start: linkStarted)
        try append(descriptor, diffID: diffID, to: &state, step: step, movableContent: movable,
                   linkableContent: earlier.map { LinkableContent(root: $0, paths: linkable) },
                   unpacked: earlier == nil ? concurrent : nil)
        let saveStarted = DispatchTime.now().uptimeNanoseconds
        links.save(linkKey, chainID: chainID, records: records)
        trace?.record("save-links", step: step, start: saveStarted)
        return (descriptor, diffID)
    }

    /// Content bytes from which a layer is hashed on a second core: below it, the hand-over per
    /// MiB buys little.
    static let concurrentHashThreshold: Int64 = 4 << 20

    static func contentBytes(_ entries: [LayerEntry]) -> Int64 {
        entries.reduce(0) { $0 + ($1.header.type == .regular ? $1.header.size : 0) }
    }

    /// Appends an existing layer (from the cache) and makes sure its snapshot exists.
    /// Returns the chain ID of the snapshot. `linkableContent`: files the snapshot may take by hard link.
    /// `unpacked`: the layer unpacked while it was written, taken as the snapshot when it succeeded.
    /// `fromEntries`: the layer's tar stream made again from its entries, applied instead of the blob.
    @discardableResult
    func append(_ layer: Descriptor, diffID: Digest, to state: inout StageState, step: String = "",
                movableContent: [String: String] = [:], linkableContent: LinkableContent? = nil,
                unpacked: ConcurrentSnapshot? = nil, fromEntries: LayerEntriesSource? = nil) throws -> Digest {
        var diffIDs = state.config.rootfs.diffIDs
        diffIDs.append(diffID)
        let chainID = ChainID.compute(diffIDs: diffIDs)!
        // Held for the rest of the build: a concurrent prune or rmi must not take it away.
        try store.hold(blobs: [layer.digest], snapshots: [chainID])
        _ = try store.open(layer.digest)  // still there once held (a prune may have run just before)
        let waited = DispatchTime.now().uptimeNanoseconds
        let prepared = unpacked?.finish()
        if !store.hasSnapshot(chainID) {
            let started = prepared == nil ? DispatchTime.now().uptimeNanoseconds : waited
            defer { trace?.record("snapshot", step: step, start: started) }
            if let prepared {
                try store.commitSnapshot(chainID, from: prepared)
                state.config.rootfs.diffIDs = diffIDs
                state.layers.append(layer)
                state.snapshots.append(store.snapshotPath(chainID))
                return chainID
            }
            let temp = try store.prepareSnapshot(chainID)
            do {
                let applier = LayerApplier(target: temp.path, options: LayerApplyOptions(whiteouts: .overlayMarkers, movableContent: movableContent,
                                                                                          linkableContent: linkableContent))
                if let fromEntries {
                    _ = try applier.apply(blob: fromEntries)
                } else {
                    _ = try applier.apply(blobFile: try store.open(layer.digest).path)
                }
                try store.commitSnapshot(chainID, from: temp)
            } catch {
                try? FileManager.default.removeItem(at: temp)
                throw error
            }
        } else if let prepared {
            try? FileManager.default.removeItem(at: prepared)
        }
        state.config.rootfs.diffIDs = diffIDs
        state.layers.append(layer)
        state.snapshots.append(store.snapshotPath(chainID))
        return chainID
    }
}
