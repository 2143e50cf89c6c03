import Foundation

/// A reference to content by digest and size, with its media type: the OCI content descriptor
/// (also Docker schema 2's descriptor).
///
/// JSON keys: `mediaType`, `digest`, `size`, `urls`, `annotations`, `platform`, `artifactType`,
/// `data` (base64). Absent or empty optional fields are omitted on encoding, as Go's `omitempty`
/// does. Decoding ignores unknown keys and rejects a negative size.
public struct Descriptor: Sendable, Hashable, Codable {
    public var mediaType: MediaType
    public var digest: Digest
    /// Size of the content in bytes.
    public var size: Int64
    /// Other places the content may be fetched from (Docker foreign layers).
    public var urls: [String]?
    public var annotations: [String: String]?
    /// The platform of the manifest this descriptor points at, in an index.
    public var platform: Platform?
    /// The type of an artifact when this descriptor points at one.
    public var artifactType: MediaType?
    /// The content itself, embedded; when present it must hash to `digest`.
    public var data: Data?

    public init(
        mediaType: MediaType, digest: Digest, size: Int64, urls: [String]? = nil, annotations: [String: String]? = nil,
        platform: Platform? = nil, artifactType: MediaType? = nil, data: Data? = nil
    ) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.urls = urls
        self.annotations = annotations
        self.platform = platform
        self.artifactType = artifactType
        self.data = data
    }

    /// A descriptor of `content`, computing its SHA-256 digest and size.
    public init<Bytes: DataProtocol>(mediaType: MediaType, content: Bytes) {
        self.init(mediaType: mediaType, digest: .sha256(of: content), size: Int64(content.count))
    }

    /// Checks that `content` is what this descriptor describes: same size, same digest.
    /// Throws ``ImageSpecError`` (`contentMismatch`) saying which differs.
    public func verify<Bytes: DataProtocol>(_ content: Bytes) throws {
        guard Int64(content.count) == size else {
            throw ImageSpecError(.contentMismatch, "content of \(digest) has \(content.count) bytes, descriptor says \(size)")
        }
        let actual = Digest.digest(of: content, algorithm: digest.algorithm)
        guard actual == digest else {
            throw ImageSpecError(.contentMismatch, "content digest \(actual) does not match descriptor digest \(digest)")
        }
    }

    /// The value of the `org.opencontainers.image.ref.name` annotation (the tag in an OCI layout).
    public var referenceName: String? { annotations?[Self.refNameAnnotation] }

    /// Annotation naming an image in an OCI layout's `index.json`.
    public static let refNameAnnotation = "org.opencontainers.image.ref.name"

    // MARK: - Codable

    private enum CodingKeys: String, CodingKey {
        case mediaType, digest, size, urls, annotations, platform, artifactType, data
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        mediaType = try container.decode(MediaType.self, forKey: .mediaType)
        digest = try container.decode(Digest.self, forKey: .digest)
        size = try container.decode(Int64.self, forKey: .size)
        guard size >= 0 else {
            throw ImageSpecError(.invalidDocument, "descriptor size \(size) is negative").located(at: decoder.codingPath)
        }
        urls = try container.decodeIfPresent([String].self, forKey: .urls)
        annotations = try container.decodeIfPresent([String: String].self, forKey: .annotations)
        platform = try container.decodeIfPresent(Platform.self, forKey: .platform)
        artifactType = try container.decodeIfPresent(MediaType.self, forKey: .artifactType)
        data = try container.decodeIfPresent(Data.self, forKey: .data)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(mediaType, forKey: .mediaType)
        try container.encode(digest, forKey: .digest)
        try container.encode(size, forKey: .size)
        if let urls, !urls.isEmpty { try container.encode(urls, forKey: .urls) }
        if let annotations, !annotations.isEmpty { try container.encode(annotations, forKey: .annotations) }
        try container.encodeIfPresent(platform, forKey: .platform)
        try container.encodeIfPresent(artifactType, forKey: .artifactType)
        if let data, !data.isEmpty { try container.encode(data, forKey: .data) }
    }
}
