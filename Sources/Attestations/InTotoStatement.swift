import Foundation
import ImageSpec

/// An in-toto statement (v0.1, as BuildKit writes them): subjects by digest, a predicate type, a predicate.
public struct InTotoStatement: Sendable, Hashable, Codable {
    public struct Subject: Sendable, Hashable, Codable {
        public var name: String
        /// Algorithm → hex, e.g. `["sha256": "…"]`.
        public var digest: [String: String]

        public init(name: String, digest: Digest) {
            self.name = name
            self.digest = [digest.algorithm.rawValue: digest.hex]
        }
    }

    public var type: String
    public var subject: [Subject]
    public var predicateType: String
    public var predicate: JSONValue

    public init(subject: [Subject], predicateType: String, predicate: JSONValue) {
        self.type = AttestationLayout.statementType
        self.subject = subject
        self.predicateType = predicateType
        self.predicate = predicate
    }

    private enum CodingKeys: String, CodingKey {
        case type = "_type", subject, predicateType, predicate
    }

    /// The statement's bytes: JSON with sorted keys (stable for a given content).
    public func encoded() throws -> Data {
        try CanonicalJSON.encode(self)
    }

    /// The subjects BuildKit names an image by: `pkg:docker/<name>@<tag>?platform=<os>%2F<arch>` for
    /// each tag, all with the image manifest's digest; `_` when the image has no name.
    public static func subjects(names: [ImageReference], platform: Platform, manifest: Digest) -> [Subject] {
        let purls = names.map { reference -> String in
            let version = reference.tag ?? reference.digest?.description ?? ImageReference.defaultTag
            return "pkg:docker/\(reference.familiarName)@\(version)?platform=\(percentEncoded(platform.description))"
        }
        return (purls.isEmpty ? ["_"] : purls).map { Subject(name: $0, digest: manifest) }
    }

    /// Percent-encoding for a purl qualifier value (`/` becomes `%2F`, as BuildKit writes it).
    static func percentEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
