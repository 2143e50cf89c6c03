import Foundation
import ImageSpec
import ImageStore

/// Finds images in the store by the names `kiln save` accepts, as `docker save` does:
/// `name:tag` or `name@digest` (that reference), `name` alone (every tag of the repository),
/// or an image ID — the config digest, `sha256:<hex>` or a unique hex prefix (saved without names).
/// IDs are found among named images; an unnamed image can be given by its full manifest digest.
public struct ArchiveImageResolver: Sendable {
    public let store: ContentStore

    public init(store: ContentStore) {
        self.store = store
    }

    /// The images `names` denote, in order, merged when two names denote one manifest.
    /// Throws ``ArchiveError`` (`imageNotFound`, `ambiguous`).
    public func resolve(_ names: [String]) throws -> [ArchiveImage] {
        let tagged = try storeCall { try store.list() }
        var result: [ArchiveImage] = []
        func add(_ descriptor: Descriptor, _ reference: ImageReference?) {
            var plain = descriptor
            plain.annotations = nil
            if let at = result.firstIndex(where: { $0.manifestDescriptor.digest == plain.digest }) {
                if let reference, !result[at].references.contains(reference) { result[at].references.append(reference) }
            } else {
                result.append(ArchiveImage(manifestDescriptor: plain, references: reference.map { [$0] } ?? []))
            }
        }
        for name in names {
            if let reference = try? ImageReference(parsing: name, addingDefaultTag: false) {
                if reference.tag == nil, reference.digest == nil {
                    let all = tagged.filter { $0.reference.name == reference.name }
                    if !all.isEmpty {
                        for image in all { add(image.descriptor, image.reference) }
                        continue
                    }
                } else if let descriptor = try storeCall({ try store.resolve(reference) }) {
                    add(descriptor, reference)
                    continue
                }
            }
            if let descriptor = try findByID(name, in: tagged) ?? untaggedManifest(name) {
                add(descriptor, nil)
                continue
            }
            throw ArchiveError(.imageNotFound, "No such image: \(name)")
        }
        return result
    }

    /// The image ID (config digest) of a manifest or index in the store (the host's manifest of an index).
    public func imageID(of descriptor: Descriptor) throws -> Digest {
        try store.singleImage(descriptor).manifest.config.digest
    }

    /// A manifest or index named by its full digest, tagged or not (e.g. an image loaded without a name).
    private func untaggedManifest(_ text: String) -> Descriptor? {
        guard let digest = try? Digest(parsing: text), store.contains(digest), let bytes = try? store.read(digest) else { return nil }
        struct Probe: Decodable { var mediaType: String?; var manifests: [Descriptor]?; var config: Descriptor? }
        guard let probe = try? JSONDecoder().decode(Probe.self, from: bytes) else { return nil }
        let mediaType: MediaType? = probe.mediaType.flatMap { MediaType($0) } ?? (probe.manifests != nil ? .ociIndex : probe.config != nil ? .ociManifest : nil)
        guard let mediaType, mediaType.isIndex || mediaType.isManifest else { return nil }
        return Descriptor(mediaType: mediaType, digest: digest, size: Int64(bytes.count))
    }

    private func findByID(_ text: String, in tagged: [TaggedImage]) throws -> Descriptor? {
        var hex = text.lowercased()
        if hex.hasPrefix("sha256:") { hex.removeFirst(7) }
        guard !hex.isEmpty, hex.count <= 64, hex.allSatisfy(\.isHexDigit) else { return nil }
        var matches: [Digest: Descriptor] = [:]
        for image in tagged {
            guard let id = try? imageID(of: image.descriptor) else { continue }
            if id.hex.hasPrefix(hex) { matches[id] = image.descriptor }
        }
        guard matches.count <= 1 else {
            throw ArchiveError(.ambiguous, "\(text) matches \(matches.count) images; give more of the ID")
        }
        return matches.values.first
    }
}
