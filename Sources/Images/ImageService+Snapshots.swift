import Foundation
import ImageSpec
import ImageStore
import LayerArchive

extension ImageService {
    /// Holds every blob of `image` (manifest, config, layers) against a prune or rmi in another
    /// process, then checks that all of them are still present: an image found by name a moment
    /// ago may have lost its blobs to a prune before the hold. False when any is gone (pull or
    /// build it again); a held, complete image stays complete until this process ends.
    public func holdComplete(_ image: LocalImage) throws -> Bool {
        let blobs = Self.blobs(of: image)
        try store.hold(blobs: blobs)
        return blobs.allSatisfy { store.contains($0) }
    }

    /// The manifest, config and layer blobs of `image`: what a user of the image holds.
    static func blobs(of image: LocalImage) -> [Digest] {
        [image.manifestDescriptor.digest, image.configDescriptor.digest] + image.manifest.layers.map(\.digest)
    }

    /// The unpacked snapshot folder of each of `image`'s layers, base first, usable as overlay
    /// lower directories (the topmost is the last element; overlayfs wants them reversed).
    ///
    /// Each layer is unpacked on its own (not onto its parent) with whiteouts turned into overlay
    /// markers, into a folder keyed by the layer's chain ID; existing snapshots are reused. A
    /// layer is unpacked into a private folder and committed with an atomic rename, so concurrent
    /// callers (tasks or processes) are safe: the first commit wins, the others are discarded.
    /// The uncompressed bytes are checked against the config's diffID, and stop at
    /// `KILN_MAX_LAYER_SIZE` when set. A hardlink to a file of a lower layer is resolved in the
    /// snapshots below (such a layer is unpacked after them).
    /// Throws ``ImagesError`` (`incomplete`) when a layer blob is missing, `LayerArchiveError` for
    /// a bad archive.
    public func snapshots(for image: LocalImage) async throws -> [URL] {
        let diffIDs = image.config.rootfs.diffIDs
        guard diffIDs.count == image.manifest.layers.count else {
            throw ImagesError(.unsupportedImage, "image \(image.shortID()) has \(image.manifest.layers.count) layers but \(diffIDs.count) diff IDs")
        }
        let chainIDs = ChainID.computeAll(diffIDs: diffIDs)
        // Held first, then checked: a prune or rmi in another process cannot take them away while
        // this process uses them (a build FROM this image, its COPY --from).
        try store.hold(blobs: Self.blobs(of: image), snapshots: chainIDs)
        for (i, layer) in image.manifest.layers.enumerated() where !store.contains(layer.digest) && !store.hasSnapshot(chainIDs[i]) {
            throw ImagesError(.incomplete, "layer \(layer.digest) of image \(image.shortID()) is not in the store (removed meanwhile?); pull the image again")
        }
        let lowers = chainIDs.map { store.snapshotPath($0).path }
        var result = try await withThrowingTaskGroup(of: (Int, URL?).self) { group in
            var next = 0
            func addNext() {
                guard next < chainIDs.count else { return }
                let i = next
                next += 1
                let layer = image.manifest.layers[i], chainID = chainIDs[i], diffID = diffIDs[i]
                let below = Array(lowers.prefix(i))
                group.addTask {
                    do {
                        return (i, try self.unpack(layer, diffID: diffID, chainID: chainID, lowerLayers: below))
                    } catch where i > 0 {
                        // Perhaps a hardlink to a file of a layer still being unpacked: again below.
                        return (i, nil)
                    }
                }
            }
            for _ in 0..<2 { addNext() }
            var result = [URL?](repeating: nil, count: chainIDs.count)
            while let (i, url) = try await group.next() {
                result[i] = url
                addNext()
            }
            return result
        }
        // Layers that failed in parallel, once more in order, with every layer below them in place.
        for i in result.indices where result[i] == nil {
            result[i] = try unpack(image.manifest.layers[i], diffID: diffIDs[i], chainID: chainIDs[i], lowerLayers: Array(lowers.prefix(i)))
        }
        return result.map { $0! }
    }

    /// Unpacks one layer into the snapshot for `chainID` unless it exists.
    func unpack(_ layer: Descriptor, diffID: Digest, chainID: Digest, lowerLayers: [String] = []) throws -> URL {
        if store.hasSnapshot(chainID) { return store.snapshotPath(chainID) }
        let blob: URL
        do {
            blob = try store.open(layer.digest)
        } catch {
            throw ImagesError(.incomplete, "layer \(layer.digest) is not in the store; pull the image again")
        }
        let temp = try store.prepareSnapshot(chainID)
        do {
            let (_, decompressed) = try CompressionSniffer.decompressing(try FileDescriptor.open(reading: blob.path))
            let hashing = HashingSource(base: decompressed, digester: Digester(algorithm: diffID.algorithm),
                                        limit: ImageLimits.maxLayerSize(), what: "layer \(layer.digest)")
            var reader = TarReader(hashing)
            try LayerApplier(target: temp.path, options: LayerApplyOptions(whiteouts: .overlayMarkers, lowerLayers: lowerLayers)).apply(&reader)
            // The reader may stop at the end-of-archive blocks; hash the rest too.
            while !(try hashing.read(upTo: 1 << 20)).isEmpty {}
            let actual = hashing.digester.finalize()
            guard actual == diffID else {
                throw ImagesError(.unsupportedImage, "layer \(layer.digest) unpacks to \(actual), but the image config says \(diffID); the image is broken")
            }
            return try store.commitSnapshot(chainID, from: temp)
        } catch let error as LayerArchiveError {
            try? FileManager.default.removeItem(at: temp)
            throw ImagesError(.unsupportedImage, "layer \(layer.digest) cannot be unpacked: \(error)")
        } catch {
            try? FileManager.default.removeItem(at: temp)
            throw error
        }
    }
}

/// Hashes the bytes read through it (the uncompressed layer, for its diffID). A class, so the
/// caller keeps a handle while a `TarReader` owns it.
/// With a `limit`, reading past that many bytes throws (a decompression bomb stops there).
final class HashingSource: ByteSource {
    var base: any ByteSource
    var digester: Digester
    let limit: Int64?
    let what: String

    init(base: any ByteSource, digester: Digester, limit: Int64? = nil, what: String = "the layer") {
        self.base = base
        self.digester = digester
        self.limit = limit
        self.what = what
    }

    func read(upTo maxCount: Int) throws -> [UInt8] {
        let bytes = try base.read(upTo: maxCount)
        digester.update(bytes)
        if let limit, digester.byteCount > limit {
            throw ImagesError(.unsupportedImage, ImageLimits.layerTooLarge(what, limit: limit))
        }
        return bytes
    }
}
