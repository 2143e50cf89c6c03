import Foundation
import ImageSpec

/// BuildKit's inline cache: the image config field `moby.buildkit.cache.v0`, a JSON string
/// holding the base64 of a JSON array of cache records whose layer indexes are positions in the
/// image's own layer list (0 = the bottom layer).
public enum InlineCache {
    /// The config field value for `entries` whose layers are among the image's (matched by diffID;
    /// others are left out), then the records of `buildKit` as Docker's BuildKit links them (so
    /// Docker 20.10 can use the cache too). Nil when there is no record.
    public static func value(_ entries: [CacheEntry], diffIDs: [Digest], buildKit: BuildKitTrail? = nil) -> JSONValue? {
        var position: [Digest: Int] = [:]
        for (i, diffID) in diffIDs.enumerated() where position[diffID] == nil { position[diffID] = i }
        var records: [BuildKitCacheConfig.Record] = []
        var created: [Int: String] = [:]
        for entry in entries { if let index = position[entry.diffID], let text = entry.created?.text { created[index] = text } }
        // A layer with a BuildKit record gets no kiln record: BuildKit keeps one record per result,
        // and one without links would hide the linked one from Docker ("failed to load deleted cache").
        let covered = Set((buildKit?.records(offset: 0, layerCount: diffIDs.count) ?? []).compactMap { $0.layers?.first?.layer })
        for entry in entries.sorted(by: { $0.key < $1.key }) where entry.aliasOf == nil && entry.cacheMount == nil {
            guard let index = position[entry.diffID], !covered.contains(index), let key = try? Digest(algorithm: .sha256, hex: entry.key) else { continue }
            records.append(BuildKitCacheConfig.Record(digest: key, layers: [.init(layer: index, createdAt: entry.created?.text)],
                                                      chains: nil, inputs: nil))
        }
        if let buildKit { records += buildKit.records(offset: records.count, layerCount: diffIDs.count, created: created) }
        guard !records.isEmpty, let json = try? CanonicalJSON.encode(records) else { return nil }
        return .string(json.base64EncodedString())
    }

    /// The entries of the inline cache in an image's config; nil when it has none. Throws
    /// ``ImagesError`` (`unsupportedImage`) when it cannot be read.
    public static func entries(in config: ImageConfig, layers: [Descriptor]) throws -> [CacheEntry]? {
        guard let value = config.extraFields[BuildKitCacheConfig.inlineConfigField] else { return nil }
        return try entries(value, layers: layers, diffIDs: config.rootfs.diffIDs) { data in
            do { return try JSONDecoder().decode(BuildKitCacheConfig.self, from: data) } catch {
                throw ImagesError(.unsupportedImage, "the inline cache does not decode: \(error)")
            }
        }
    }

    /// The entries of an inline cache value, with the image's layers and diffIDs.
    static func entries(_ value: JSONValue, layers: [Descriptor], diffIDs: [Digest],
                        decode: (Data) throws -> BuildKitCacheConfig) throws -> [CacheEntry] {
        let json: Data
        switch value {
        case .string(let text):
            guard let data = Data(base64Encoded: text) else {
                throw ImagesError(.unsupportedImage, "the inline cache (\(BuildKitCacheConfig.inlineConfigField)) is not base64")
            }
            json = data
        case .array:
            json = try CanonicalJSON.encode(value)
        default:
            throw ImagesError(.unsupportedImage, "the inline cache (\(BuildKitCacheConfig.inlineConfigField)) is neither a string nor a list")
        }
        let wrapped = Data("{\"records\":".utf8) + json + Data("}".utf8)
        var config = try decode(wrapped)
        // Layer i of the config is layer i of the image.
        config.layers = zip(layers, diffIDs).map { layer, diffID in
            BuildKitCacheConfig.Layer(blob: layer.digest, annotations: .init(mediaType: layer.mediaType.rawValue, diffID: diffID, size: layer.size))
        }
        return config.entries(descriptors: [])
    }
}
