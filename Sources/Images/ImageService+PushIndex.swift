import Distribution
import Foundation
import ImageSpec
import ImageStore
import LayerVariants

extension ImageService {
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
