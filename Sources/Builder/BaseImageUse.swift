import Foundation
import ImageSpec
import Images

/// An image a build used (as a stage's base or a `COPY --from` source): the name it was asked
/// by, the platform, and the digests that pin it — what a provenance lists as materials.
public struct BaseImageUse: Sendable, Hashable {
    public var reference: ImageReference
    public var platform: Platform
    /// The image manifest the build used.
    public var manifestDigest: Digest
    /// The digest the registry resolved the name to when it was pulled (an index or a manifest),
    /// when known.
    public var repoDigest: Digest?

    /// The digest to pin the image by: the registry's when known, else the manifest's.
    public var pinnedDigest: Digest { repoDigest ?? manifestDigest }
}

extension Builder {
    /// The images this build resolved (``resolveImage(_:range:platform:explicit:)``), each once.
    func baseImageUses() async -> [BaseImageUse] {
        var result: [BaseImageUse] = []
        for (key, image) in await resolvedImages.succeeded() {
            // The key is "<reference> <platform> <explicit>" (see resolveImage).
            let parts = key.split(separator: " ").map(String.init)
            guard parts.count >= 2, let reference = try? ImageReference(parsing: parts[0]),
                  let platform = try? Platform(parsing: parts[1]) else { continue }
            let repoDigest = image.repoDigests.first { $0.name == reference.name }?.digest
            let use = BaseImageUse(reference: reference, platform: platform, manifestDigest: image.manifestDescriptor.digest, repoDigest: repoDigest)
            if !result.contains(use) { result.append(use) }
        }
        return result
    }
}
