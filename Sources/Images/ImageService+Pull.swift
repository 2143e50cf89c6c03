import Distribution
import Foundation
import ImageSpec
import ImageStore

/// What a pull did, for Docker's closing lines.
public struct PullResult: Sendable {
    public var image: LocalImage
    /// The digest the registry resolved the reference to (index or manifest): Docker's `Digest:` line.
    public var digest: Digest
    /// False when the reference already pointed at this manifest and every blob was present
    /// (`Status: Image is up to date for …`).
    public var downloadedNewer: Bool
}

extension ImageService {
    /// Pulls `reference` for `platform`: resolves the tag (or digest), picks the platform's
    /// manifest from an index or manifest list (OCI and Docker schema 2), fetches the config and the
    /// layers (up to ``concurrency`` at once), each verified by the store's ingest and skipped when
    /// already present, then stores the manifest and points `reference` at it.
    ///
    /// A registry manifest that is not an index must be for a platform that `platform` can run.
    /// An image of more than ``ImageLimits/maxLayers`` layers or with a config larger than
    /// ``ImageLimits/maxConfigSize`` is refused before any blob is fetched.
    /// Interrupting a pull leaves only temp files (removed by the next store start, or prune/check)
    /// and complete, verified blobs; the next pull reuses them. Blobs are held against a
    /// concurrent prune until the process ends (see `ContentStore.hold`). Throws ``ImagesError``, `RegistryError`, `StoreError`.
    public func pull(_ reference: ImageReference, platform: Platform) async throws -> LocalImage {
        try await pullImage(reference, platform: platform).image
    }

    /// ``pull(_:platform:)`` with the details Docker prints.
    public func pullImage(_ reference: ImageReference, platform: Platform) async throws -> PullResult {
        let previous = try? store.resolve(reference)
        let top = try await registry.resolve(reference)
        if top.descriptor.mediaType.isSchema1Manifest {
            throw ImagesError(.unsupportedImage, "\(reference.familiar) uses the Docker image manifest schema 1, which is no longer supported; push it again with a current tool")
        }
        var manifestDescriptor = top.descriptor
        var manifestBytes = top.bytes
        if top.descriptor.mediaType.isIndex {
            let index = try CanonicalJSON.decode(Index.self, from: top.bytes)
            guard let entry = index.manifest(for: platform) else {
                throw ImagesError(.unsupportedImage, "no matching manifest for \(platform) in the manifest list entries")
            }
            let child = try await registry.resolve(reference.nameOnly.withDigest(entry.digest))
            manifestDescriptor = Descriptor(mediaType: child.descriptor.mediaType, digest: entry.digest, size: child.descriptor.size, platform: entry.platform)
            manifestBytes = child.bytes
        }
        let manifest = try CanonicalJSON.decode(Manifest.self, from: manifestBytes)
        if let refusal = ImageLimits.refusal(of: manifest, "\(reference.familiar) (manifest \(manifestDescriptor.digest))") {
            throw ImagesError(.unsupportedImage, refusal)
        }
        let host = reference.registryHost, repository = reference.repository
        let alreadyComplete = ([manifestDescriptor, manifest.config] + manifest.layers).allSatisfy { store.contains($0.digest) }

        // Config first (small, and it tells the layers' diffIDs).
        try await store.ingest(expected: manifest.config, from: registry.fetchBlob(host: host, repository: repository, descriptor: manifest.config))
        let config = try CanonicalJSON.decode(ImageConfig.self, from: store.read(verifying: manifest.config))
        if !top.descriptor.mediaType.isIndex, !platform.canRun(config.platform) {
            throw ImagesError(.unsupportedImage, "image with reference \(reference.familiar) was found but does not match the specified platform: wanted \(platform), actual: \(config.platform)")
        }
        guard config.rootfs.diffIDs.count == manifest.layers.count else {
            throw ImagesError(.unsupportedImage, "\(reference.familiar): the manifest lists \(manifest.layers.count) layers but the config \(config.rootfs.diffIDs.count) diff IDs; the image is broken")
        }
        try await fetchLayers(manifest.layers, host: host, repository: repository)
        // As Docker's pull unpacks and checks each layer before the tag moves: a layer that is not
        // a complete stream of its diff_id (or exceeds KILN_MAX_LAYER_SIZE) tags nothing. Layers
        // already unpacked into a snapshot were checked then. Each layer is decompressed once: into
        // its snapshot, hashed on the way (what a build or run needs next). A layer that cannot be
        // unpacked here (device nodes without the privilege, say) is only checked, as before.
        let limit = ImageLimits.maxLayerSize()
        let chainIDs = ChainID.computeAll(diffIDs: config.rootfs.diffIDs)
        let lowers = chainIDs.map { store.snapshotPath($0).path }
        for (i, layer) in manifest.layers.enumerated() where !store.hasSnapshot(chainIDs[i]) {
            try Task.checkCancellation()
            do {
                _ = try unpack(layer, diffID: config.rootfs.diffIDs[i], chainID: chainIDs[i], lowerLayers: Array(lowers.prefix(i)))
            } catch {
                try verifyStoredLayer(layer, diffID: config.rootfs.diffIDs[i], limit: limit)
            }
        }

        var pending: Data? = manifestBytes
        try await store.ingest(expected: Descriptor(mediaType: manifestDescriptor.mediaType, digest: manifestDescriptor.digest, size: manifestDescriptor.size)) {
            defer { pending = nil }
            return pending
        }
        var tagged = manifestDescriptor
        tagged.annotations = [Self.repoDigestAnnotation: top.descriptor.digest.description]
        try await store.tag(reference, tagged)

        var image = LocalImage(references: [reference], manifestDescriptor: manifestDescriptor, manifest: manifest,
                               configDescriptor: manifest.config, config: config,
                               repoDigests: [reference.nameOnly.withDigest(top.descriptor.digest)])
        if let all = try? await localImage(reference.description) { image.references = all.references }
        let upToDate = alreadyComplete && previous?.digest == manifestDescriptor.digest
        return PullResult(image: image, digest: top.descriptor.digest, downloadedNewer: !upToDate)
    }

    /// Fetches the layers not yet in the store, `concurrency` at a time, reporting progress.
    func fetchLayers(_ layers: [Descriptor], host: String, repository: String) async throws {
        var seen = Set<Digest>()
        let unique = layers.filter { seen.insert($0.digest).inserted }
        for layer in unique { progress.report(.started(layer.digest, size: layer.size)) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func addNext() {
                guard next < unique.count else { return }
                let layer = unique[next]
                next += 1
                group.addTask { try await self.fetchLayer(layer, host: host, repository: repository) }
            }
            for _ in 0..<concurrency { addNext() }
            while try await group.next() != nil { addNext() }
        }
    }

    func fetchLayer(_ layer: Descriptor, host: String, repository: String) async throws {
        if store.contains(layer.digest) {
            progress.report(.finished(layer.digest, .alreadyExists))
            return
        }
        let progress = self.progress
        let stream = registry.fetchBlob(host: host, repository: repository, descriptor: layer)
        var iterator = stream.makeAsyncIterator()
        try await store.ingest(expected: layer) {
            guard let chunk = try await iterator.next() else { return nil }
            progress.report(.advanced(layer.digest, bytes: Int64(chunk.count)))
            return chunk
        }
        progress.report(.finished(layer.digest, .downloaded))
    }
}
