import Foundation
import ImageSpec
import Images

/// What `kiln inspect` adds for a tag naming a multi-platform image (an OCI index or Docker
/// manifest list, as `kiln build --platform P1,P2` makes): the document stays Docker's image
/// document for the host platform's image, plus an `Index` member listing the index's digest,
/// media type and each manifest with its platform (`Present`: whether that image is in the store).
/// A tag naming a single image is inspected exactly as before.
enum InspectIndex {
    /// The `Index` member for `name`, or nil when `name` does not name an index in the store.
    static func member(_ name: String, service: ImageService) -> (String, GoJSON)? {
        guard let reference = try? ImageReference(parsing: name),
              let tagged = try? service.store.list().first(where: { $0.reference == reference }),
              tagged.descriptor.mediaType.isIndex,
              let index = try? CanonicalJSON.decode(Index.self, from: service.store.read(tagged.descriptor.digest))
        else { return nil }
        let manifests: [GoJSON] = index.manifests.map { entry in
            .object([
                ("Digest", .string(entry.digest.description)),
                ("MediaType", .string(entry.mediaType.rawValue)),
                ("Platform", .string(entry.platform?.description ?? "")),
                ("Present", .bool(service.store.contains(entry.digest))),
            ])
        }
        return ("Index", .object([
            ("Digest", .string(tagged.descriptor.digest.description)),
            ("MediaType", .string(tagged.descriptor.mediaType.rawValue)),
            ("Manifests", .array(manifests)),
        ]))
    }
}
