import Foundation
import ImageSpec
import ImageStore
import Images

/// Finds images in the store by the names `kiln save` accepts, as `docker save` does. The lookup
/// of one name is ImageService.localImage, kiln's one resolver (`name:tag`, `name@digest`, an image
/// ID or a unique prefix of it, dangling images by ID); `docker save` adds two rules of its own:
/// `name` alone is every tag of the repository, and a full manifest digest names a manifest the
/// store holds without a name. An image named by its reference keeps that name in the archive; one
/// named by its ID is saved without names.
public struct ArchiveImageResolver: Sendable {
    public let store: ContentStore

    public init(store: ContentStore) {
        self.store = store
    }

    /// The images `names` denote, in order, merged when two names denote one manifest.
    /// Throws ``ArchiveError`` (`imageNotFound`, `ambiguous`).
    public func resolve(_ names: [String], with images: ImageService) async throws -> [ArchiveImage] {
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
            if let reference = try? ImageReference(parsing: name, addingDefaultTag: false), reference.tag == nil, reference.digest == nil {
                let all = tagged.filter { $0.reference.name == reference.name }
                if !all.isEmpty {
                    for image in all { add(image.descriptor, image.reference) }
                    continue
                }
            }
            let found: LocalImage?
            do {
                found = try await images.localImage(name)
            } catch let error as ImagesError where error.code == .ambiguous {
                throw ArchiveError(.ambiguous, error.message)
            }
            if let image = found {
                // The stored descriptor (an index stays an index); the image's own manifest when dangling.
                let named = (try? ImageReference(parsing: name)).flatMap { image.references.contains($0) ? $0 : nil }
                let stored = try (named ?? image.references.first).flatMap { reference in try storeCall { try store.resolve(reference) } }
                add(stored ?? image.manifestDescriptor, named)
                continue
            }
            if let descriptor = untaggedManifest(name) {
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
}
