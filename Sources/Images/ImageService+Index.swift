import Distribution
import Foundation
import ImageSpec
import ImageStore
import LayerVariants

/// Multi-platform images in the store: an image index whose manifests are stored (what
/// `kiln build --platform P1,P2` tags), read for one platform, exported and pushed as a whole.
extension ImageService {
    /// The image for `platform` that `descriptor` names: the manifest itself, or the index entry for
    /// `platform` (one present in the store). Throws ``ImagesError`` (`incomplete`) when the index
    /// has no stored manifest for `platform`.
    public func load(_ descriptor: Descriptor, platform: Platform) throws -> LocalImage {
        guard descriptor.mediaType.isIndex else { return try load(descriptor) }
        let index = try CanonicalJSON.decode(Index.self, from: store.read(descriptor.digest))
        let present = index.manifests.filter { $0.mediaType.isManifest && store.contains($0.digest) }
        guard let entry = platform.bestMatch(in: present) else {
            let have = present.compactMap { $0.platform?.description }.joined(separator: ", ")
            throw ImagesError(.incomplete, "index \(descriptor.digest) has no manifest for \(platform) in the store (it has: \(have.isEmpty ? "none" : have))")
        }
        return try load(entry)
    }

    /// The platforms of the stored manifests an index lists (empty for a single manifest).
    public func platforms(of descriptor: Descriptor) -> [Platform] {
        guard descriptor.mediaType.isIndex,
              let index = try? CanonicalJSON.decode(Index.self, from: store.read(descriptor.digest)) else { return [] }
        return index.manifests.filter { $0.mediaType.isManifest && store.contains($0.digest) }.compactMap(\.platform)
    }

    /// `index` with each image's uncompressed layers compressed for export (``exported(_:compression:)``):
    /// the same descriptor when nothing changes, else a new index (same order, platforms and
    /// annotations) stored beside it.
    public func exportedIndex(_ index: Descriptor, compression: ExportCompression) throws -> Descriptor {
        let stored = try JSONBlob<Index>(bytes: try store.read(index.digest))
        var value = stored.value
        let variants = LayerVariants(store: store)
        value.manifests = try value.manifests.map { entry in
            guard entry.mediaType.isManifest else { return entry }
            return try variants.exportedManifest(entry, compression: compression)
        }
        guard value.manifests != stored.value.manifests else { return index }
        let blob = try JSONBlob(encoding: value)
        var result = try store.put(bytes: blob.bytes, mediaType: index.mediaType)
        result.annotations = index.annotations
        return result
    }

    /// Pushes every image of the stored index `descriptor` by digest, then the index (as exported:
    /// compressed layers, see ``exportedIndex(_:compression:)``) to `reference`. Returns the index
    /// digest. Throws as ``push(_:to:compression:)``.
    @discardableResult
    public func pushIndex(_ descriptor: Descriptor, to reference: ImageReference, compression: ExportCompression = .default) async throws -> Digest {
        let exported = try exportedIndex(descriptor, compression: compression)
        let index = try CanonicalJSON.decode(Index.self, from: store.read(exported.digest))
        for entry in index.manifests where entry.mediaType.isManifest {
            let image = try load(entry)
            try await push(image, to: reference.nameOnly.withDigest(entry.digest), compression: compression)
        }
        var target = reference
        if reference.tag == nil && reference.digest == nil { target = try reference.withTag(ImageReference.defaultTag) }
        if target.tag == nil { target = target.nameOnly.withDigest(exported.digest) }
        return try await registry.putManifest(target, mediaType: exported.mediaType, bytes: try store.read(verifying: exported))
    }
}
