import Distribution
import Foundation
import ImageSpec
import ImageStore
import LayerVariants

extension ImageService {
    /// Pushes the image index `index` (in the store) to `reference`: every manifest it lists that
    /// the store holds (image manifests for each platform, attestation manifests), each by digest
    /// with its config and layers (see ``push(_:to:compression:)``), then the index itself under
    /// the tag. The manifests are sent exactly as stored — their digests are what the index names —
    /// so layers stored uncompressed stay so. Entries the store lacks (platforms never pulled) are
    /// assumed to be in the registry already; the registry refuses the index otherwise.
    /// Returns the index digest. Throws `RegistryError`, `StoreError`, ``ImagesError`` (`unsupportedImage`
    /// for a nested index).
    @discardableResult
    public func pushIndex(_ index: Descriptor, to reference: ImageReference) async throws -> Digest {
        let bytes = try store.read(verifying: index)
        let decoded = try CanonicalJSON.decode(Index.self, from: bytes)
        try store.hold(blobs: [index.digest])
        for entry in decoded.manifests where store.contains(entry.digest) {
            guard entry.mediaType.isManifest else {
                throw ImagesError(.unsupportedImage, "index \(index.digest) lists another index (\(entry.digest)); nested indexes are not pushed")
            }
            let image = try load(entry)
            _ = try await push(image, to: reference.nameOnly.withDigest(entry.digest), compression: ExportCompression(algorithm: .uncompressed))
        }
        var target = reference
        if reference.tag == nil && reference.digest == nil { target = try reference.withTag(ImageReference.defaultTag) }
        if target.tag == nil, target.digest != index.digest { target = target.nameOnly.withDigest(index.digest) }
        return try await registry.putManifest(target, mediaType: index.mediaType, bytes: bytes)
    }

    /// Whether `descriptor` is an index whose every manifest (with config and layers) is in the
    /// store, so ``pushIndex(_:to:)`` can send it whole.
    public func isCompleteIndex(_ descriptor: Descriptor) -> Bool {
        guard descriptor.mediaType.isIndex, let bytes = try? store.read(descriptor.digest),
              let index = try? CanonicalJSON.decode(Index.self, from: bytes), !index.manifests.isEmpty else { return false }
        return index.manifests.allSatisfy { entry in
            guard entry.mediaType.isManifest, let manifest = try? load(entry).manifest else { return false }
            return ([manifest.config] + manifest.layers).allSatisfy { store.contains($0.digest) || $0.urls?.isEmpty == false }
        }
    }
}
