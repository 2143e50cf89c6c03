import Foundation
import ImageSpec

/// One entry of a docker-archive's `manifest.json`.
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

/// Docker's legacy v1 image JSON (`<v1id>/json`) and the v1 IDs naming layer folders.
enum LegacyV1 {
    /// An empty Go `container.Config`, as Docker writes `container_config` of intermediate layers.
    static let emptyContainerConfig: JSONValue = .object([
        "Hostname": .string(""), "Domainname": .string(""), "User": .string(""),
        "AttachStdin": .bool(false), "AttachStdout": .bool(false), "AttachStderr": .bool(false),
        "Tty": .bool(false), "OpenStdin": .bool(false), "StdinOnce": .bool(false),
        "Env": .null, "Cmd": .null, "Image": .string(""), "Volumes": .null, "WorkingDir": .string(""),
        "Entrypoint": .null, "OnBuild": .null, "Labels": .null,
    ])

    /// The v1 fields of an image config that Docker copies into the top layer's v1 JSON.
    static let v1Keys = ["comment", "created", "container", "container_config", "docker_version", "author", "config", "architecture", "variant", "os"]

    /// The v1 image of layer `index` of `count`: the image's own v1 fields for the top layer,
    /// an empty one (created at the epoch) below it — as Docker's `docker save` does.
    static func image(configBytes: Data, isTop: Bool) -> [String: JSONValue] {
        var fields: [String: JSONValue] = ["created": .string("1970-01-01T00:00:00Z"), "container_config": emptyContainerConfig]
        if isTop, case .object(let config)? = try? JSONDecoder().decode(JSONValue.self, from: configBytes) {
            for key in v1Keys { if let value = config[key] { fields[key] = value } }
        }
        return fields
    }

    /// Docker's `v1.CreateID`: sha256 of the v1 image with `layer_id` (the chain ID) and `parent`.
    static func id(image: [String: JSONValue], chainID: Digest, parent: Digest?) throws -> Digest {
        var fields = image
        fields["layer_id"] = .string(chainID.description)
        if let parent { fields["parent"] = .string(parent.description) }
        return Digest.sha256(of: try CanonicalJSON.encode(fields))
    }

    /// The `json` file of a layer folder: the v1 image with its `id` and `parent`.
    static func json(image: [String: JSONValue], id: Digest, parent: Digest?) throws -> Data {
        var fields = image
        fields["id"] = .string(id.hex)
        if let parent { fields["parent"] = .string(parent.hex) }
        return try CanonicalJSON.encode(fields)
    }
}
