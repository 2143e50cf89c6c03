/// An image configuration: the OCI image config (`application/vnd.oci.image.config.v1+json`),
/// which is also Docker's (`application/vnd.docker.container.image.v1+json`) plus Docker's fields.
///
/// JSON keys: `created`, `author`, `architecture`, `os`, `os.version`, `os.features`, `variant`,
/// `config`, `rootfs`, `history`. Decoding requires `architecture` and `os`, reads a missing
/// `config`, `rootfs` or `history` as empty, and keeps every other top-level key in
/// ``extraFields`` (Docker's legacy `container`, `container_config`, `docker_version`, …), which
/// encoding writes back. Encoding omits what Docker omits: empty `created`, `author`, `history`;
/// `config` and `rootfs` are always written.
///
/// A config's digest is the image ID; compute it over the bytes as stored (see ``JSONBlob``).
public struct ImageConfig: Sendable, Hashable, Codable {
    public var created: Timestamp?
    public var author: String?
    /// `architecture`, `os`, `variant`, `os.version` and `os.features`, kept as written.
    public var platform: Platform
    /// The execution defaults for containers run from the image.
    public var config: ContainerConfig
    public var rootfs: RootFS
    public var history: [History]
    /// Top-level keys this type does not model, carried through unchanged.
    public var extraFields: [String: JSONValue]

    public init(
        platform: Platform, config: ContainerConfig = ContainerConfig(), rootfs: RootFS = RootFS(),
        history: [History] = [], created: Timestamp? = nil, author: String? = nil, extraFields: [String: JSONValue] = [:]
    ) {
        self.created = created
        self.author = author
        self.platform = platform
        self.config = config
        self.rootfs = rootfs
        self.history = history
        self.extraFields = extraFields
    }

    private enum Key: String, CaseIterable {
        case created, author, architecture, os, osVersion = "os.version", osFeatures = "os.features", variant
        case config, rootfs, history
        var key: AnyCodingKey { AnyCodingKey(rawValue) }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        created = try container.decodeIfPresent(Timestamp.self, forKey: Key.created.key)
        author = try container.decodeIfPresent(String.self, forKey: Key.author.key).flatMap { $0.isEmpty ? nil : $0 }
        guard let os = try container.decodeIfPresent(String.self, forKey: Key.os.key),
              let architecture = try container.decodeIfPresent(String.self, forKey: Key.architecture.key)
        else {
            throw ImageSpecError(.invalidDocument, "image config has no \"architecture\" or \"os\"").located(at: decoder.codingPath)
        }
        let variant = try container.decodeIfPresent(String.self, forKey: Key.variant.key)
        let osVersion = try container.decodeIfPresent(String.self, forKey: Key.osVersion.key)
        let osFeatures = try container.decodeIfPresent([String].self, forKey: Key.osFeatures.key)
        platform = try ImageSpecError.locating(decoder) {
            try Platform(
                os: os, architecture: architecture, variant: variant.flatMap { $0.isEmpty ? nil : $0 },
                osVersion: osVersion.flatMap { $0.isEmpty ? nil : $0 }, osFeatures: osFeatures
            )
        }
        config = try container.decodeIfPresent(ContainerConfig.self, forKey: Key.config.key) ?? ContainerConfig()
        rootfs = try container.decodeIfPresent(RootFS.self, forKey: Key.rootfs.key) ?? RootFS()
        history = try container.decodeIfPresent([History].self, forKey: Key.history.key) ?? []
        extraFields = try container.unknownFields(excluding: Set(Key.allCases.map(\.rawValue)))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: AnyCodingKey.self)
        let known = Set(Key.allCases.map(\.rawValue))
        for (name, value) in extraFields where !known.contains(name) {
            try container.encode(value, forKey: AnyCodingKey(name))
        }
        try container.encodeIfPresent(created, forKey: Key.created.key)
        if let author, !author.isEmpty { try container.encode(author, forKey: Key.author.key) }
        try container.encode(platform.architecture, forKey: Key.architecture.key)
        try container.encode(platform.os, forKey: Key.os.key)
        try container.encodeIfPresent(platform.osVersion, forKey: Key.osVersion.key)
        if let features = platform.osFeatures, !features.isEmpty { try container.encode(features, forKey: Key.osFeatures.key) }
        try container.encodeIfPresent(platform.variant, forKey: Key.variant.key)
        try container.encode(config, forKey: Key.config.key)
        try container.encode(rootfs, forKey: Key.rootfs.key)
        if !history.isEmpty { try container.encode(history, forKey: Key.history.key) }
    }
}

/// The image's layers as uncompressed-tar digests, in order (the config's `rootfs`).
///
/// JSON keys: `type` (always `layers` in practice) and `diff_ids`, both always written.
public struct RootFS: Sendable, Hashable, Codable {
    public var type: String
    /// The digest of each layer's uncompressed tar, bottom first.
    public var diffIDs: [Digest]

    public init(type: String = "layers", diffIDs: [Digest] = []) {
        self.type = type
        self.diffIDs = diffIDs
    }

    private enum CodingKeys: String, CodingKey {
        case type
        case diffIDs = "diff_ids"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decodeIfPresent(String.self, forKey: .type) ?? "layers"
        diffIDs = try container.decodeIfPresent([Digest].self, forKey: .diffIDs) ?? []
    }
}
