/// A media type such as `application/vnd.oci.image.manifest.v1+json`.
///
/// Contract: always a `type/subtype` pair of RFC 6838 restricted names (the OCI descriptor
/// grammar: each side starts with a letter or digit, then up to 126 of `A-Za-z0-9!#$&^_.+-`).
/// Parameters (`; charset=…`) are not part of a media type here; strip them from HTTP headers
/// before parsing. Compared exactly as written. Encodes and decodes as its string form.
public struct MediaType: Sendable, Hashable, Codable, CustomStringConvertible, LosslessStringConvertible {
    public let rawValue: String

    /// Validates and wraps `string`. Throws ``ImageSpecError`` (`invalidMediaType`).
    public init(parsing string: String) throws {
        let parts = string.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy(Self.isRestrictedName) else {
            throw ImageSpecError(.invalidMediaType, "invalid media type \(ImageSpecError.quote(string)): expected type/subtype")
        }
        rawValue = string
    }

    /// For the constants below, which are valid by inspection (and checked by the tests).
    init(constant: String) {
        rawValue = constant
    }

    public init?(_ description: String) {
        try? self.init(parsing: description)
    }

    public var description: String { rawValue }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try ImageSpecError.locating(decoder) { try MediaType(parsing: text) }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    private static func isRestrictedName(_ part: Substring) -> Bool {
        let bytes = Array(part.utf8)
        guard let first = bytes.first, bytes.count <= 127, isAlphaNumeric(first) else { return false }
        return bytes.dropFirst().allSatisfy { isAlphaNumeric($0) || Array("!#$&^_.+-".utf8).contains($0) }
    }

    private static func isAlphaNumeric(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }
}

// MARK: - Known media types

extension MediaType {
    // OCI image spec
    public static let ociIndex = MediaType(constant: "application/vnd.oci.image.index.v1+json")
    public static let ociManifest = MediaType(constant: "application/vnd.oci.image.manifest.v1+json")
    public static let ociConfig = MediaType(constant: "application/vnd.oci.image.config.v1+json")
    public static let ociLayer = MediaType(constant: "application/vnd.oci.image.layer.v1.tar")
    public static let ociLayerGzip = MediaType(constant: "application/vnd.oci.image.layer.v1.tar+gzip")
    public static let ociLayerZstd = MediaType(constant: "application/vnd.oci.image.layer.v1.tar+zstd")
    /// Deprecated by the OCI spec, still found in the wild; never pushed by kiln.
    public static let ociLayerNondistributable = MediaType(constant: "application/vnd.oci.image.layer.nondistributable.v1.tar")
    public static let ociLayerNondistributableGzip = MediaType(constant: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip")
    public static let ociLayerNondistributableZstd = MediaType(constant: "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd")
    /// The empty descriptor `{}` used as config of artifacts.
    public static let ociEmpty = MediaType(constant: "application/vnd.oci.empty.v1+json")

    // Docker image manifest v2, schema 2
    public static let dockerManifestList = MediaType(constant: "application/vnd.docker.distribution.manifest.list.v2+json")
    public static let dockerManifest = MediaType(constant: "application/vnd.docker.distribution.manifest.v2+json")
    public static let dockerConfig = MediaType(constant: "application/vnd.docker.container.image.v1+json")
    public static let dockerLayerGzip = MediaType(constant: "application/vnd.docker.image.rootfs.diff.tar.gzip")
    /// Layers that a registry must not serve; fetched from the descriptor's `urls`.
    public static let dockerForeignLayerGzip = MediaType(constant: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip")
    /// Docker schema 1 (signed); recognised only so it can be refused with a clear message.
    public static let dockerManifestSchema1 = MediaType(constant: "application/vnd.docker.distribution.manifest.v1+json")
    public static let dockerManifestSchema1Signed = MediaType(constant: "application/vnd.docker.distribution.manifest.v1+prettyjws")

    /// Every constant above, for tests and for `Accept` headers built from subsets.
    public static let known: [MediaType] = [
        .ociIndex, .ociManifest, .ociConfig, .ociLayer, .ociLayerGzip, .ociLayerZstd,
        .ociLayerNondistributable, .ociLayerNondistributableGzip, .ociLayerNondistributableZstd, .ociEmpty,
        .dockerManifestList, .dockerManifest, .dockerConfig, .dockerLayerGzip, .dockerForeignLayerGzip,
        .dockerManifestSchema1, .dockerManifestSchema1Signed,
    ]
}

// MARK: - Classification

/// How a layer's bytes are compressed, as its media type says.
public enum LayerCompression: String, Sendable, Hashable {
    case none
    case gzip
    case zstd
}

extension MediaType {
    /// An OCI index or a Docker manifest list.
    public var isIndex: Bool { self == .ociIndex || self == .dockerManifestList }

    /// An OCI image manifest or a Docker schema 2 manifest.
    public var isManifest: Bool { self == .ociManifest || self == .dockerManifest }

    /// An OCI or Docker image config.
    public var isImageConfig: Bool { self == .ociConfig || self == .dockerConfig }

    /// A Docker schema 1 manifest, which kiln does not support.
    public var isSchema1Manifest: Bool { self == .dockerManifestSchema1 || self == .dockerManifestSchema1Signed }

    /// A layer tarball of a type kiln can unpack (OCI, OCI non-distributable, Docker, Docker foreign).
    public var isLayer: Bool { layerCompression != nil }

    /// Layers that must not be pushed to another registry (OCI non-distributable, Docker foreign).
    public var isNondistributable: Bool {
        self == .ociLayerNondistributable || self == .ociLayerNondistributableGzip
            || self == .ociLayerNondistributableZstd || self == .dockerForeignLayerGzip
    }

    /// The compression of a known layer media type; `nil` when this is not a known layer type.
    public var layerCompression: LayerCompression? {
        switch self {
        case .ociLayer, .ociLayerNondistributable: return LayerCompression.none
        case .ociLayerGzip, .ociLayerNondistributableGzip, .dockerLayerGzip, .dockerForeignLayerGzip: return .gzip
        case .ociLayerZstd, .ociLayerNondistributableZstd: return .zstd
        default: return nil
        }
    }
}
