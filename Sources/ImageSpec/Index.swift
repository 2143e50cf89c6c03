/// An image index: an OCI image index or a Docker manifest list (schema 2). It lists manifests,
/// usually one per platform. The two share one JSON shape; ``mediaType`` tells them apart.
///
/// JSON keys: `schemaVersion` (always 2), `mediaType`, `artifactType`, `manifests`, `subject`,
/// `annotations`. Decoding ignores unknown keys, rejects any other schema version and a
/// `mediaType` naming an image manifest, and reads a missing `manifests` as empty. Encoding omits
/// absent optional fields and empty annotations.
public struct Index: Sendable, Hashable, Codable {
    /// Always 2.
    public let schemaVersion: Int
    public var mediaType: MediaType?
    public var artifactType: MediaType?
    public var manifests: [Descriptor]
    public var subject: Descriptor?
    public var annotations: [String: String]?

    public init(
        mediaType: MediaType? = .ociIndex, manifests: [Descriptor], subject: Descriptor? = nil,
        annotations: [String: String]? = nil, artifactType: MediaType? = nil
    ) {
        schemaVersion = 2
        self.mediaType = mediaType
        self.artifactType = artifactType
        self.manifests = manifests
        self.subject = subject
        self.annotations = annotations
    }

    /// Whether this is a Docker manifest list (by media type) rather than an OCI index.
    public var isDocker: Bool { mediaType == .dockerManifestList }

    /// The entry best suited to `platform` (see ``Platform/bestMatch(in:)``), or `nil` when none can run there.
    public func manifest(for platform: Platform) -> Descriptor? {
        platform.bestMatch(in: manifests)
    }

    /// The entries whose `org.opencontainers.image.ref.name` annotation is `name` (tags in an OCI layout).
    public func manifests(named name: String) -> [Descriptor] {
        manifests.filter { $0.referenceName == name }
    }

    // MARK: - Codable

    private enum CodingKeys: String, CodingKey {
        case schemaVersion, mediaType, artifactType, manifests, subject, annotations
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let schemaVersion = try container.decode(Int.self, forKey: .schemaVersion)
        let mediaType = try container.decodeIfPresent(MediaType.self, forKey: .mediaType)
        try ImageSpecError.locating(decoder) {
            guard schemaVersion == 2 else {
                throw ImageSpecError(.invalidDocument, "index schemaVersion is \(schemaVersion); only 2 is supported")
            }
            if let mediaType, mediaType.isManifest || mediaType.isSchema1Manifest {
                throw ImageSpecError(.invalidDocument, "expected an index but the document is an image manifest (\(mediaType))")
            }
        }
        self.schemaVersion = schemaVersion
        self.mediaType = mediaType
        artifactType = try container.decodeIfPresent(MediaType.self, forKey: .artifactType)
        manifests = try container.decodeIfPresent([Descriptor].self, forKey: .manifests) ?? []
        subject = try container.decodeIfPresent(Descriptor.self, forKey: .subject)
        annotations = try container.decodeIfPresent([String: String].self, forKey: .annotations)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(schemaVersion, forKey: .schemaVersion)
        try container.encodeIfPresent(mediaType, forKey: .mediaType)
        try container.encodeIfPresent(artifactType, forKey: .artifactType)
        try container.encode(manifests, forKey: .manifests)
        try container.encodeIfPresent(subject, forKey: .subject)
        if let annotations, !annotations.isEmpty { try container.encode(annotations, forKey: .annotations) }
    }
}
