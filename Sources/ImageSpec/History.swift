/// One step of how the image was made (an entry of the config's `history`).
///
/// JSON keys: `created`, `created_by`, `author`, `comment`, `empty_layer`; each omitted when
/// absent or empty (`empty_layer` when false), as Docker writes them. An empty string decodes as absent.
public struct History: Sendable, Hashable, Codable {
    public var created: Timestamp?
    /// The instruction that made this step, e.g. `RUN /bin/sh -c apk add curl # buildkit`.
    public var createdBy: String?
    public var author: String?
    public var comment: String?
    /// True when the step changed only the config and added no layer.
    public var emptyLayer: Bool

    public init(created: Timestamp? = nil, createdBy: String? = nil, author: String? = nil, comment: String? = nil, emptyLayer: Bool = false) {
        self.created = created
        self.createdBy = createdBy
        self.author = author
        self.comment = comment
        self.emptyLayer = emptyLayer
    }

    private enum CodingKeys: String, CodingKey {
        case created
        case createdBy = "created_by"
        case author
        case comment
        case emptyLayer = "empty_layer"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        created = try container.decodeIfPresent(Timestamp.self, forKey: .created)
        func text(_ key: CodingKeys) throws -> String? {
            try container.decodeIfPresent(String.self, forKey: key).flatMap { $0.isEmpty ? nil : $0 }
        }
        createdBy = try text(.createdBy)
        author = try text(.author)
        comment = try text(.comment)
        emptyLayer = try container.decodeIfPresent(Bool.self, forKey: .emptyLayer) ?? false
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(created, forKey: .created)
        if let createdBy, !createdBy.isEmpty { try container.encode(createdBy, forKey: .createdBy) }
        if let author, !author.isEmpty { try container.encode(author, forKey: .author) }
        if let comment, !comment.isEmpty { try container.encode(comment, forKey: .comment) }
        if emptyLayer { try container.encode(true, forKey: .emptyLayer) }
    }
}
