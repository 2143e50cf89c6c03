import Foundation
import ImageSpec

/// An image given with `--cache-from`: its history and layers.
public struct CacheFromImage: Sendable {
    public var name: String
    /// Each history entry's `created_by` and whether it added a layer.
    public var history: [(createdBy: String, emptyLayer: Bool)]
    public var layers: [Descriptor]
    public var diffIDs: [Digest]

    public init(name: String, config: ImageConfig, layers: [Descriptor]) {
        self.name = name
        self.history = config.history.map { ($0.createdBy ?? "", $0.emptyLayer) }
        self.layers = layers
        self.diffIDs = config.rootfs.diffIDs
    }
}

/// `--cache-from IMAGE`, the way Docker's classic builder uses a plain image as a cache source:
/// a step that makes a layer (RUN, COPY, ADD) and misses the local cache reuses the layer of a
/// `--cache-from` image when, exactly,
/// - the image's history so far has the same `created_by` texts, in order, as the stage's so far
///   (the base image's entries, then one per instruction: metadata instructions included), and
///   the image's layers so far are the stage's (the same diffIDs, from the same base);
/// - the image's next history entry has this step's `created_by` text (after expansion, as kiln
///   writes it: `RUN /bin/sh -c make # buildkit`, `COPY app /app # buildkit`) and adds a layer.
/// Nothing about the step's inputs is compared beyond that text: a COPY of changed files with the
/// same text reuses the old layer, as in Docker's classic builder. Images built by kiln or by
/// BuildKit match; images from Docker's classic builder (`/bin/sh -c #(nop) COPY file:…`) do not.
enum CacheFromImages {
    /// The layer and diffID of the first image that matches, with its name.
    static func match(_ images: [CacheFromImage], history createdBy: String, state: StageState) -> (Descriptor, Digest, String)? {
        let history = state.config.history
        let diffIDs = state.config.rootfs.diffIDs
        for image in images {
            guard image.history.count > history.count, image.layers.count > diffIDs.count,
                  image.diffIDs.count == image.layers.count,
                  Array(image.diffIDs.prefix(diffIDs.count)) == diffIDs,
                  zip(image.history, history).allSatisfy({ $0.createdBy == ($1.createdBy ?? "") }) else { continue }
            let next = image.history[history.count]
            guard !next.emptyLayer, next.createdBy == createdBy else { continue }
            return (image.layers[diffIDs.count], image.diffIDs[diffIDs.count], image.name)
        }
        return nil
    }
}
