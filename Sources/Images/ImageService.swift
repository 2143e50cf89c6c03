import Distribution
import Foundation
import ImageSpec
import ImageStore

/// Images in the local store and in registries: pull, push, list, resolve names and IDs, and
/// unpack layer snapshots. Composes `ContentStore`, `RegistryClient` and `LayerApplier`.
///
/// Stateless apart from its collaborators; safe to use from several tasks at once. Several
/// processes may share one store: blobs are ingested verified and atomically, and snapshots are
/// committed with an atomic rename.
public final class ImageService: Sendable {
    public let store: ContentStore
    public let registry: RegistryClient
    public let progress: any TransferProgress
    /// How many layers move at once (Docker's default `max-concurrent-downloads` is 3).
    public let concurrency: Int

    /// Annotation kept on a store reference: the digest the registry resolved the tag to when it
    /// was pulled (an index or a manifest), for Docker's `RepoDigests`.
    public static let repoDigestAnnotation = "org.kiln.image.repo.digest"

    public init(store: ContentStore, registry: RegistryClient, progress: any TransferProgress) {
        self.store = store
        self.registry = registry
        self.progress = progress
        self.concurrency = 3
    }

    // MARK: - Local images

    /// Every image referenced in the store, one per manifest (with all its references), newest first.
    public func images() async throws -> [LocalImage] {
        var byManifest: [Digest: LocalImage] = [:]
        var order: [Digest] = []
        for tagged in try store.list() {
            guard var image = try? load(tagged.descriptor) else { continue }
            let key = image.manifestDescriptor.digest
            if byManifest[key] == nil {
                image.references = []
                image.repoDigests = []
                byManifest[key] = image
                order.append(key)
            }
            byManifest[key]!.references.append(tagged.reference)
            if let digest = repoDigest(of: tagged) {
                if !byManifest[key]!.repoDigests.contains(digest) { byManifest[key]!.repoDigests.append(digest) }
            }
        }
        return order.compactMap { byManifest[$0] }.sorted { a, b in
            let ta = a.config.created?.secondsSinceEpoch ?? 0, tb = b.config.created?.secondsSinceEpoch ?? 0
            return ta != tb ? ta > tb : a.id.description < b.id.description
        }
    }

    /// The image `nameOrID` names: a reference (`busybox`, `localhost:5000/x:1`, `name@sha256:…`),
    /// or an image ID — full or a unique prefix, with or without `sha256:`. Nil when none matches.
    /// Throws ``ImagesError`` (`ambiguous`) for an ID prefix matching several images. An ID that
    /// no tagged image has may name a dangling image.
    public func localImage(_ nameOrID: String) async throws -> LocalImage? {
        let all = try await images()
        var idText: String?
        if nameOrID.hasPrefix("sha256:") {
            idText = String(nameOrID.dropFirst("sha256:".count))
        } else if let reference = try? ImageReference(parsing: nameOrID) {
            if let found = all.first(where: { $0.references.contains(reference) }) { return found }
            if reference.digest != nil, reference.tag == nil || nameOrID.contains("@") {
                let wanted = reference.digest!
                if let found = all.first(where: { image in
                    image.references.contains { $0.name == reference.name } &&
                        (image.manifestDescriptor.digest == wanted || image.repoDigests.contains { $0.digest == wanted })
                }) { return found }
            }
        }
        if idText == nil, !nameOrID.isEmpty, nameOrID.utf8.count <= 64, nameOrID.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) {
            idText = nameOrID
        }
        guard let prefix = idText, !prefix.isEmpty else { return nil }
        var matches = all.filter { $0.id.hex.hasPrefix(prefix) }
        if matches.isEmpty {
            // A dangling image (no tag reaches it) is still named by its ID, as in Docker.
            matches = try await danglingImages().filter { $0.id.hex.hasPrefix(prefix) }
        }
        if matches.count > 1, !matches.allSatisfy({ $0.id == matches[0].id }) {
            throw ImagesError(.ambiguous, "multiple IDs found with provided prefix: \(prefix)")
        }
        return matches.first
    }

    /// Whether `name` is written as an image ID (`sha256:<hex prefix>`, or 64 lower-case hex
    /// digits, which Docker never takes for a repository), naming a local image only: never pulled.
    public static func looksLikeImageID(_ name: String) -> Bool {
        let hex = name.hasPrefix("sha256:") ? String(name.dropFirst("sha256:".count)) : name
        let isHex = !hex.isEmpty && hex.utf8.count <= 64 && hex.allSatisfy { $0.isHexDigit && !$0.isUppercase }
        return isHex && (name.hasPrefix("sha256:") || hex.utf8.count == 64)
    }

    /// The repository digest recorded on a store reference, as `name@digest`.
    func repoDigest(of tagged: TaggedImage) -> ImageReference? {
        if let digest = tagged.reference.digest { return tagged.reference.nameOnly.withDigest(digest) }
        guard let text = tagged.descriptor.annotations?[Self.repoDigestAnnotation], let digest = Digest(text) else { return nil }
        return tagged.reference.nameOnly.withDigest(digest)
    }

    /// Reads the image `descriptor` points at (a manifest, or an index from which the entry for
    /// the host platform that is present in the store is taken).
    public func load(_ descriptor: Descriptor) throws -> LocalImage {
        var manifestDescriptor = descriptor
        if descriptor.mediaType.isIndex {
            let index = try CanonicalJSON.decode(Index.self, from: store.read(descriptor.digest))
            let present = index.manifests.filter { $0.mediaType.isManifest && store.contains($0.digest) }
            guard let entry = Platform.host.bestMatch(in: present) ?? present.first else {
                throw ImagesError(.incomplete, "index \(descriptor.digest) has no manifest for \(Platform.host) in the store; pull the image again")
            }
            manifestDescriptor = entry
        }
        let manifest = try CanonicalJSON.decode(Manifest.self, from: store.read(manifestDescriptor.digest))
        if let refusal = ImageLimits.refusal(of: manifest, "image \(manifestDescriptor.digest)") {
            throw ImagesError(.unsupportedImage, refusal)
        }
        let config = try CanonicalJSON.decode(ImageConfig.self, from: store.read(manifest.config.digest))
        manifestDescriptor.annotations = nil
        return LocalImage(references: [], manifestDescriptor: manifestDescriptor, manifest: manifest,
                          configDescriptor: manifest.config, config: config)
    }
}
