/// An image manifest: an OCI image manifest or a Docker image manifest v2, schema 2.
/// The two share one JSON shape; ``mediaType`` tells them apart.
///
/// JSON keys: `schemaVersion` (always 2), `mediaType`, `artifactType`, `config`, `layers`,
/// `subject`, `annotations`. Decoding ignores unknown keys, rejects any other schema version,
/// rejects a document whose `mediaType` names an index or a schema 1 manifest, and reads a missing
/// `layers` as empty. Encoding omits absent optional fields and empty annotations.
///
/// To keep a manifest's digest stable, hold the bytes it was read from (see ``JSONBlob``); never
/// re-encode a decoded manifest to compute its digest.
public struct Manifest: Sendable, Hashable, Codable {
    /// Always 2.
    public let schemaVersion: Int
    /// Optional in OCI (kiln always writes it); always present in Docker schema 2.
    public var mediaType: MediaType?
    public var artifactType: MediaType?
    public var config: Descriptor
    public var layers: [Descriptor]
    /// The manifest this one refers to (OCI referrers: signatures, attestations).
    public var subject: Descriptor?
    public var annotations: [String: String]?

    public init(
        mediaType: MediaType? = .ociManifest, config: Descriptor, layers: [Descriptor],
        subject: Descriptor? = nil, annotations: [String: String]? = nil, artifactType: MediaType? = nil
    ) {
        schemaVersion = 2
        self.mediaType = mediaType
        self.artifactType = artifactType
        self.config = config
        self.layers = layers
        self.subject = subject
        self.annotations = annotations
    }

    /// Whether this is a Docker schema 2 manifest (by media type) rather than an OCI one.
    public var isDocker: Bool { mediaType == .dockerManifest }

    // MARK: - Codable

    private enum CodingKeys: String, CodingKey {
        case schemaVersion, mediaType, artifactType, config, layers, subject, annotations
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let schemaVersion = try container.decode(Int.self, forKey: .schemaVersion)
        let mediaType = try container.decodeIfPresent(MediaType.self, forKey: .mediaType)
        try ImageSpecError.locating(decoder) {
            if schemaVersion == 1 || mediaType?.isSchema1Manifest == true {
                throw ImageSpecError(.invalidDocument, "Docker schema 1 manifests are not supported; push the image again with a current Docker or use an OCI manifest")
            }
            guard schemaVersion == 2 else {
                throw ImageSpecError(.invalidDocument, "manifest schemaVersion is \(schemaVersion); only 2 is supported")
            }
            if let mediaType, mediaType.isIndex {
                throw ImageSpecError(.invalidDocument, "expected an image manifest but the document is an index (\(mediaType))")
            }
        }
        self.schemaVersion = schemaVersion
        self.mediaType = mediaType
        artifactType = try container.decodeIfPresent(MediaType.self, forKey: .artifactType)
        config = try container.decode(Descriptor.self, forKey: .config)
        layers = try container.decodeIfPresent([Descriptor].self, forKey: .layers) ?? []
        subject = try container.decodeIfPresent(Descriptor.self, forKey: .subject)
        annotations = try container.decodeIfPresent([String: String].self, forKey: .annotations)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(schemaVersion, forKey: .schemaVersion)
        try container.encodeIfPresent(mediaType, forKey: .mediaType)
        try container.encodeIfPresent(artifactType, forKey: .artifactType)
        try container.encode(config, forKey: .config)
        try container.encode(layers, forKey: .layers)
        try container.encodeIfPresent(subject, forKey: .subject)
        if let annotations, !annotations.isEmpty { try container.encode(annotations, forKey: .annotations) }
    }
}
