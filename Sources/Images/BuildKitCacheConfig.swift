import Foundation
import ImageSpec

/// BuildKit's cache config (`application/vnd.buildkit.cacheconfig.v0`), the document a registry,
/// local or inline cache export carries: `layers` (blobs, each naming the layer below it by index,
/// -1 for none) and `records` (one per cache key: its digest, its results as layer indexes or
/// layer chains, and its inputs as links to other records).
///
/// kiln writes one record per build step that made a layer: the record's digest is the step's
/// kiln cache key (`sha256:<key>`), its result the index of the step's own layer. Decoding
/// accepts any document of this shape, BuildKit's included; records whose digest is not a kiln
/// key simply never match a lookup.
public struct BuildKitCacheConfig: Codable, Sendable, Equatable {
    public static let mediaType = MediaType("application/vnd.buildkit.cacheconfig.v0")!
    /// Layer descriptor annotation carrying the uncompressed digest (containerd's name).
    public static let uncompressedAnnotation = "containerd.io/uncompressed"
    /// Layer descriptor annotation carrying when the layer was made (BuildKit's name).
    public static let createdAtAnnotation = "buildkit/createdat"
    /// The input selector marking a kiln alias record: a record whose key stands for the record it
    /// links to (a COPY/ADD key computed without the filesystem below it). BuildKit reads it as
    /// an ordinary input link.
    public static let aliasSelector = "kiln.alias"
    /// Annotation of a layer descriptor in a cache index that holds a `RUN --mount=type=cache`
    /// directory (`cache-mounts=true`): the mount's directory name. Such layers are not in the
    /// cache config, so BuildKit ignores them.
    public static let cacheMountAnnotation = "org.kiln.cache-mount"
    /// The image config field of an inline cache (BuildKit's name).
    public static let inlineConfigField = "moby.buildkit.cache.v0"

    public struct Layer: Codable, Sendable, Equatable {
        public var blob: Digest
        /// Index of the layer below in ``BuildKitCacheConfig/layers``, -1 for none.
        public var parent: Int
        public var annotations: LayerAnnotations?

        enum CodingKeys: String, CodingKey { case blob, parent, annotations }

        public init(blob: Digest, parent: Int = -1, annotations: LayerAnnotations? = nil) {
            self.blob = blob
            self.parent = parent
            self.annotations = annotations
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            blob = try c.decode(Digest.self, forKey: .blob)
            // Go's omitempty leaves out a parent of 0.
            parent = try c.decodeIfPresent(Int.self, forKey: .parent) ?? 0
            annotations = try c.decodeIfPresent(LayerAnnotations.self, forKey: .annotations)
        }
    }

    public struct LayerAnnotations: Codable, Sendable, Equatable {
        public var mediaType: String?
        public var diffID: Digest?
        public var size: Int64?
        public var createdAt: String?

        public init(mediaType: String? = nil, diffID: Digest? = nil, size: Int64? = nil, createdAt: String? = nil) {
            self.mediaType = mediaType
            self.diffID = diffID
            self.size = size
            self.createdAt = createdAt
        }
    }

    public struct Result: Codable, Sendable, Equatable {
        public var layer: Int
        public var createdAt: String?
    }

    public struct Chain: Codable, Sendable, Equatable {
        public var layers: [Int]
        public var createdAt: String?
    }

    public struct Input: Codable, Sendable, Equatable {
        public var selector: String?
        public var link: Int
    }

    public struct Record: Codable, Sendable, Equatable {
        public var digest: Digest
        /// BuildKit's `layers` key: results as one layer index (the top of a chain).
        public var layers: [Result]?
        public var chains: [Chain]?
        public var inputs: [[Input]]?
    }

    public var layers: [Layer]
    public var records: [Record]

    public init(layers: [Layer] = [], records: [Record] = []) {
        self.layers = layers
        self.records = records
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        layers = try c.decodeIfPresent([Layer].self, forKey: .layers) ?? []
        records = try c.decodeIfPresent([Record].self, forKey: .records) ?? []
    }

    /// The config for `entries` and the layer descriptors it names (in ``layers`` order), each
    /// annotated with its diffID and creation time. Layers shared by several entries appear once.
    public static func make(_ entries: [CacheEntry]) -> (config: BuildKitCacheConfig, descriptors: [Descriptor]) {
        var config = BuildKitCacheConfig()
        var descriptors: [Descriptor] = []
        var index: [Digest: Int] = [:]
        var recordIndex: [String: Int] = [:]
        for entry in entries.sorted(by: { $0.key < $1.key }) where entry.aliasOf == nil && entry.cacheMount == nil {
            guard let key = try? Digest(algorithm: .sha256, hex: entry.key) else { continue }
            recordIndex[entry.key] = config.records.count
            let position: Int
            if let known = index[entry.layer.digest] {
                position = known
            } else {
                position = config.layers.count
                index[entry.layer.digest] = position
                var annotations = [uncompressedAnnotation: entry.diffID.description]
                if let created = entry.created { annotations[createdAtAnnotation] = created.text }
                descriptors.append(Descriptor(mediaType: entry.layer.mediaType, digest: entry.layer.digest, size: entry.layer.size,
                                              annotations: annotations))
                config.layers.append(Layer(blob: entry.layer.digest, parent: -1,
                                           annotations: LayerAnnotations(mediaType: entry.layer.mediaType.rawValue, diffID: entry.diffID,
                                                                         size: entry.layer.size, createdAt: entry.created?.text)))
            }
            config.records.append(Record(digest: key, layers: [Result(layer: position, createdAt: entry.created?.text)],
                                         chains: nil, inputs: nil))
        }
        for entry in entries.sorted(by: { $0.key < $1.key }) {
            guard let target = entry.aliasOf, let link = recordIndex[target], let key = try? Digest(algorithm: .sha256, hex: entry.key),
                  let result = config.records[link].layers else { continue }
            config.records.append(Record(digest: key, layers: result, chains: nil, inputs: [[Input(selector: aliasSelector, link: link)]]))
        }
        for entry in entries.sorted(by: { $0.key < $1.key }) {
            guard let name = entry.cacheMount else { continue }
            descriptors.append(Descriptor(mediaType: entry.layer.mediaType, digest: entry.layer.digest, size: entry.layer.size,
                                          annotations: [uncompressedAnnotation: entry.diffID.description, cacheMountAnnotation: name]))
        }
        return (config, descriptors)
    }

    /// The entries of this config: each record with a sha256 digest and a result whose top layer
    /// is known (media type and size from `descriptors` or the layer's annotations; diffID from
    /// the descriptor's `containerd.io/uncompressed` or the annotations). Others are skipped.
    public func entries(descriptors: [Descriptor]) -> [CacheEntry] {
        var byDigest: [Digest: Descriptor] = [:]
        for d in descriptors { byDigest[d.digest] = d }
        var result: [CacheEntry] = []
        // BuildKit's own records (Docker's caches) link their inputs: each is also found by its
        // chain keys (``BuildKitKeys``), which a build computes from its steps.
        let chains = records.contains { record in record.inputs?.contains { $0.contains { $0.selector != Self.aliasSelector } } == true }
            ? chainKeys() : []
        for (i, record) in records.enumerated() where record.digest.algorithm == .sha256 {
            var aliasOf: String?
            if let input = record.inputs?.first?.first, input.selector == Self.aliasSelector {
                guard records.indices.contains(input.link) else { continue }
                aliasOf = records[input.link].digest.hex
            }
            let top = record.layers?.first?.layer ?? record.chains?.first?.layers.last
            guard let top, layers.indices.contains(top) else { continue }
            let layer = layers[top]
            let known = byDigest[layer.blob]
            let mediaType = known?.mediaType ?? layer.annotations?.mediaType.flatMap { MediaType($0) }
            let size = known?.size ?? layer.annotations?.size
            let diffID = known?.annotations?[Self.uncompressedAnnotation].flatMap { Digest($0) } ?? layer.annotations?.diffID
            guard let mediaType, mediaType.isLayer, let size, size >= 0, let diffID else { continue }
            let createdText = record.layers?.first?.createdAt ?? layer.annotations?.createdAt
                ?? known?.annotations?[Self.createdAtAnnotation]
            let entry = CacheEntry(key: record.digest.hex, layer: Descriptor(mediaType: mediaType, digest: layer.blob, size: size),
                                   diffID: diffID, created: createdText.flatMap { try? Timestamp(parsing: $0) }, aliasOf: aliasOf)
            result.append(entry)
            if aliasOf == nil, chains.indices.contains(i), record.inputs?.isEmpty == false {
                for chain in chains[i] {
                    guard let key = Digest(chain), key.hex != entry.key else { continue }
                    var chained = entry
                    chained.key = key.hex
                    result.append(chained)
                }
            }
        }
        return result
    }
}

extension BuildKitCacheConfig {
    /// The cache mount entries among a cache index's (or image manifest's) descriptors.
    public static func cacheMountEntries(_ descriptors: [Descriptor]) -> [CacheEntry] {
        descriptors.compactMap { d in
            guard let name = d.annotations?[cacheMountAnnotation], !name.isEmpty, !name.contains("/"), !name.hasPrefix("."),
                  d.mediaType.isLayer, let diffID = d.annotations?[uncompressedAnnotation].flatMap({ Digest($0) }) else { return nil }
            return CacheEntry(key: name, layer: Descriptor(mediaType: d.mediaType, digest: d.digest, size: d.size), diffID: diffID,
                              created: nil, cacheMount: name)
        }
    }
}

/// One exportable build cache record: a step's cache key and the layer it made.
public struct CacheEntry: Sendable, Hashable {
    /// The step's kiln cache key (hex SHA-256).
    public var key: String
    public var layer: Descriptor
    public var diffID: Digest
    /// When the layer was first made (its history entry's date).
    public var created: Timestamp?
    /// For an alias entry: the key it stands for (its layer is that key's).
    public var aliasOf: String?
    /// For a cache mount entry (`cache-mounts=true`): the mount's directory name in the store
    /// (a hash of its id, uid, gid, mode); the layer holds the directory's contents.
    public var cacheMount: String?

    public init(key: String, layer: Descriptor, diffID: Digest, created: Timestamp?, aliasOf: String? = nil, cacheMount: String? = nil) {
        self.key = key
        self.layer = layer
        self.diffID = diffID
        self.created = created
        self.aliasOf = aliasOf
        self.cacheMount = cacheMount
    }
}
