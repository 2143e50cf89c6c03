import Foundation
import ImageSpec
import ImageStore

extension ImageService {
    /// The store's dangling images (manifests no reference reaches, `<none>:<none>`), newest first;
    /// one whose image ID a tagged image has too is not dangling.
    public func danglingImages() async throws -> [LocalImage] {
        let tagged = Set(try await images().map(\.id))
        var seen = Set<Digest>()
        var result: [LocalImage] = []
        for entry in try store.danglingImages() where !tagged.contains(entry.config) && !seen.contains(entry.config) {
            guard let image = try? load(entry.manifest) else { continue }
            seen.insert(entry.config)
            result.append(image)
        }
        return result.sorted { ($0.config.created?.secondsSinceEpoch ?? 0) > ($1.config.created?.secondsSinceEpoch ?? 0) }
    }

    /// The uncompressed size of one layer as ``uncompressedLayerSizes(for:)`` measures it.
    public func uncompressedSize(ofLayer layer: Descriptor) -> Int64 {
        let cache = store.location.stateDirectory.appendingPathComponent("layer-sizes/\(layer.digest.algorithm.rawValue)-\(layer.digest.hex)")
        if let text = try? String(contentsOf: cache, encoding: .utf8), let size = Int64(text) { return size }
        guard let url = try? store.open(layer.digest), let size = try? Self.uncompressedSize(url) else { return 0 }
        Self.remember(size, at: cache)
        return size
    }
}
