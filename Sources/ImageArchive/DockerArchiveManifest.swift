import Foundation
import ImageSpec

/// One entry of a docker-archive's `manifest.json`.
/// Written as Docker does: keys `Config`, `RepoTags`, `Layers` in that order, then a newline.
struct DockerArchiveEntry: Codable, Sendable {
    var config: String
    var repoTags: [String]?
    var layers: [String]

    enum CodingKeys: String, CodingKey {
        case config = "Config", repoTags = "RepoTags", layers = "Layers"
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(config, forKey: .config)
        try container.encode(repoTags ?? [], forKey: .repoTags)
        try container.encode(layers, forKey: .layers)
    }
}

extension DockerArchiveEntry {
    /// `manifest.json` bytes exactly as Docker 20.10 writes them (Go struct field order, trailing newline).
    static func manifestFile(_ entries: [DockerArchiveEntry]) throws -> Data {
        func list(_ items: [String]) throws -> String { String(decoding: try CanonicalJSON.encode(items), as: UTF8.self) }
        let objects = try entries.map { entry in
            let tags = try entry.repoTags.map { try list($0) } ?? "null"
            return #"{"Config":\#(try list([entry.config]).dropFirst().dropLast()),"RepoTags":\#(tags),"Layers":\#(try list(entry.layers))}"#
        }
        return Data(("[" + objects.joined(separator: ",") + "]\n").utf8)
    }
}

/// Docker's legacy v1 image JSON (`<v1id>/json`) and the v1 IDs naming layer folders, computed
/// as Docker 20.10 does: the top layer carries the image's v1 fields, layers below an empty v1
/// image created at the epoch.
enum LegacyV1 {
    /// The image config as a JSON object, for the top layer; nil below it.
    static func image(configBytes: Data, isTop: Bool) -> [String: JSONValue]? {
        guard isTop else { return nil }
        if case .object(let config)? = try? JSONDecoder().decode(JSONValue.self, from: configBytes) { return config }
        return [:]
    }

    /// Docker's `v1.CreateID`: sha256 of the v1 image's members (without id/parent) plus
    /// `layer_id` (the chain ID) and `parent` (the parent's v1 ID), keys sorted as Go writes a map.
    static func id(image: [String: JSONValue]?, chainID: Digest, parent: Digest?) throws -> Digest {
        var members = Dictionary(GoJSON.v1Image(id: nil, parent: nil, config: image), uniquingKeysWith: { $1 })
        members["layer_id"] = GoJSON.string(chainID.description)
        if let parent { members["parent"] = GoJSON.string(parent.description) }
        let text = "{" + members.keys.sorted().map { GoJSON.string($0) + ":" + members[$0]! }.joined(separator: ",") + "}"
        return Digest.sha256(of: Data(text.utf8))
    }

    /// The `json` file of a layer folder: the v1 image with its `id` and `parent` (hex), in struct order.
    static func json(image: [String: JSONValue]?, id: Digest, parent: Digest?) throws -> Data {
        Data(GoJSON.object(GoJSON.v1Image(id: id.hex, parent: parent?.hex, config: image)).utf8)
    }
}
