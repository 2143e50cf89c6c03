import Distribution
import Foundation
import ImageSpec
import ImageStore
import LayerVariants

extension ImageService {
    /// Pushes `image` to `reference` (its tag, or its digest when it has no tag): each layer and the
    /// config unless the repository has it (HEAD), mounted from another repository of the same
    /// registry when a local reference says the blob came from there, else uploaded from the store;
    /// then the manifest, exactly as stored and with its own media type. Returns the manifest digest.
    ///
    /// Layers stored uncompressed (what kiln builds) leave compressed as `compression` says, each
    /// compressed once and remembered (``LayerVariants``): the pushed manifest then differs from the
    /// stored one only in those layer descriptors (same config, same image ID). Layers stored
    /// compressed (pulled) are sent as they are.
    /// The image's blobs are held against a concurrent prune for the rest of the process.
    /// Throws `RegistryError`, `StoreError`, `ExportCompressionError`.
    @discardableResult
    ///
    /// `remoteBlobs`: layers not in the store (taken from an imported build cache without fetching
    /// them) and the repository holding each: mounted from there within one registry, else copied.
    public func push(_ image: LocalImage, to reference: ImageReference, compression: ExportCompression = .default,
                     remoteBlobs: [Digest: RemoteBlob] = [:]) async throws -> Digest {
        let image = try exported(image, compression: compression)
        let host = reference.registryHost, repository = reference.repository
        // Held while uploading: a concurrent retag + prune in another process must not delete them.
        try store.hold(blobs: [image.manifestDescriptor.digest, image.configDescriptor.digest] + image.manifest.layers.map(\.digest))
        for blob in [image.manifestDescriptor, image.configDescriptor] + image.manifest.layers
        where !store.contains(blob.digest) && !(blob.urls?.isEmpty == false) && remoteBlobs[blob.digest] == nil {
            throw ImagesError(.incomplete, "blob \(blob.digest) of image \(image.shortID()) is not in the store (removed meanwhile?); nothing was pushed")
        }
        let mountSources = try await mountCandidates(host: host, excluding: repository)
        var seen = Set<Digest>()
        let layers = image.manifest.layers.filter { seen.insert($0.digest).inserted }
        for layer in layers { progress.report(.started(layer.digest, size: layer.size)) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func addNext() {
                guard next < layers.count else { return }
                let layer = layers[next]
                next += 1
                group.addTask {
                    if layer.urls?.isEmpty == false, layer.mediaType.isNondistributable || layer.mediaType == .dockerForeignLayerGzip {
                        self.progress.report(.finished(layer.digest, .skipped))
                        return
                    }
                    let outcome = if !self.store.contains(layer.digest), let remote = remoteBlobs[layer.digest] {
                        try await self.pushRemoteBlob(layer, from: remote, host: host, repository: repository)
                    } else {
                        try await self.pushBlob(layer, host: host, repository: repository, mountFrom: mountSources[layer.digest], reporting: true)
                    }
                    self.progress.report(.finished(layer.digest, outcome))
                }
            }
            for _ in 0..<concurrency { addNext() }
            while try await group.next() != nil { addNext() }
        }
        _ = try await pushBlob(image.configDescriptor, host: host, repository: repository, mountFrom: mountSources[image.configDescriptor.digest], reporting: false)
        let bytes = try store.read(verifying: image.manifestDescriptor)
        let mediaType = image.manifestDescriptor.mediaType.isManifest ? image.manifestDescriptor.mediaType : (image.manifest.mediaType ?? .ociManifest)
        var target = reference
        if reference.tag == nil && reference.digest == nil { target = try reference.withTag(ImageReference.defaultTag) }
        if target.tag == nil, let digest = target.digest, digest != image.manifestDescriptor.digest {
            target = target.nameOnly.withDigest(image.manifestDescriptor.digest)
        }
        return try await registry.putManifest(target, mediaType: mediaType, bytes: bytes)
    }

    /// `image` with its uncompressed layers compressed for export (the same image when none is).
    public func exported(_ image: LocalImage, compression: ExportCompression) throws -> LocalImage {
        let variants = LayerVariants(store: store)
        let descriptor = try variants.exportedManifest(image.manifestDescriptor, compression: compression)
        guard descriptor != image.manifestDescriptor else { return image }
        var result = image
        result.manifestDescriptor = descriptor
        result.manifest = try JSONBlob<Manifest>(bytes: try store.read(descriptor.digest)).value
        return result
    }

    /// One blob: exists / mounted / uploaded from the store file.
    func pushBlob(_ descriptor: Descriptor, host: String, repository: String, mountFrom: String?, reporting: Bool) async throws -> TransferOutcome {
        let path = try store.open(descriptor.digest)
        let progress = reporting ? self.progress : SilentProgress()
        let source: BlobSource = { try Self.fileSource(path, digest: descriptor.digest, progress: progress) }
        switch try await registry.pushBlob(host: host, repository: repository, descriptor: descriptor, mountFrom: mountFrom, source: source) {
        case .existed: return .alreadyExists
        case .mounted: return .mounted(from: mountFrom ?? "")
        case .uploaded: return .pushed
        }
    }

    /// A pull-based stream of the file's bytes, 1 MiB at a time, reporting each chunk.
    static func fileSource(_ url: URL, digest: Digest, progress: any TransferProgress) throws -> AsyncThrowingStream<Data, any Error> {
        let handle = try FileHandle(forReadingFrom: url)
        let box = HandleBox(handle)
        return AsyncThrowingStream(unfolding: {
            guard let chunk = try box.handle.read(upToCount: 1 << 20), !chunk.isEmpty else {
                try? box.handle.close()
                return nil
            }
            progress.report(.advanced(digest, bytes: Int64(chunk.count)))
            return chunk
        })
    }

    /// For each blob of an image tagged in another repository of `host`: that repository.
    func mountCandidates(host: String, excluding repository: String) async throws -> [Digest: String] {
        var result: [Digest: String] = [:]
        for image in try await images() {
            guard let source = image.references.first(where: { $0.registryHost == host && $0.repository != repository }) else { continue }
            for blob in image.manifest.layers + [image.configDescriptor] where result[blob.digest] == nil {
                result[blob.digest] = source.repository
            }
        }
        return result
    }
}

/// A file handle shared with a `@Sendable` stream body (read by one iteration at a time).
final class HandleBox: @unchecked Sendable {
    let handle: FileHandle
    init(_ handle: FileHandle) { self.handle = handle }
}
