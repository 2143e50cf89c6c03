/// A reference to an image in a registry, normalised the way Docker does:
/// `alpine` is `docker.io/library/alpine:latest`.
///
/// Contract: every value is valid under the distribution reference grammar and normalised:
/// ``domain`` is never empty (`docker.io` when none was written, `index.docker.io` becomes
/// `docker.io`), a Docker Hub repository of one component gets `library/`, and a reference with
/// neither tag nor digest gets the tag `latest` (unless parsed with `addingDefaultTag: false`).
/// A reference may carry both a tag and a digest; the digest then identifies the content.
/// Encodes and decodes as its full string form.
public struct ImageReference: Sendable, Hashable, Codable, CustomStringConvertible, LosslessStringConvertible {
    /// The registry: `docker.io`, `localhost:5000`, `ghcr.io`, `[::1]:5000`.
    public let domain: String
    /// The repository path inside the registry: `library/alpine`, `user/repo`.
    public let repository: String
    /// The tag, matching `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
    public let tag: String?
    public let digest: Digest?

    /// The Docker Hub domain as written in references.
    public static let dockerHubDomain = "docker.io"
    /// The host Docker Hub's registry API is served from.
    public static let dockerHubRegistryHost = "registry-1.docker.io"
    /// The tag assumed when a reference names none.
    public static let defaultTag = "latest"

    /// Parses and normalises a reference as `docker pull` does. Throws ``ImageSpecError``
    /// (`invalidReference`) with Docker's wording, e.g.
    /// `invalid reference format: repository name must be lowercase`.
    public init(parsing string: String, addingDefaultTag: Bool = true) throws {
        let parts = try Self.parse(string)
        self.domain = parts.domain
        self.repository = parts.repository
        self.digest = parts.digest
        self.tag = parts.tag ?? (addingDefaultTag && parts.digest == nil ? Self.defaultTag : nil)
    }

    /// Builds a reference from parts, validating and normalising them as ``init(parsing:addingDefaultTag:)`` would.
    public init(domain: String, repository: String, tag: String? = nil, digest: Digest? = nil) throws {
        var text = domain + "/" + repository
        if let tag { text += ":" + tag }
        if let digest { text += "@" + digest.description }
        guard !domain.isEmpty, !domain.contains("/") else {
            throw ImageSpecError(.invalidReference, "invalid reference format: invalid registry domain \(ImageSpecError.quote(domain))")
        }
        try self.init(parsing: text, addingDefaultTag: false)
        guard self.domain == domain || (domain == "index.docker.io" && self.domain == Self.dockerHubDomain) else {
            throw ImageSpecError(.invalidReference, "invalid reference format: \(ImageSpecError.quote(domain)) is not a registry domain (it needs a '.', a ':' or to be localhost)")
        }
    }

    public init?(_ description: String) {
        try? self.init(parsing: description)
    }

    /// `domain/repository`, e.g. `docker.io/library/alpine`.
    public var name: String { domain + "/" + repository }

    /// The fully qualified form: `docker.io/library/alpine:latest`, `ghcr.io/o/r@sha256:…`.
    public var description: String { Self.join(name, tag, digest) }

    /// The short form Docker shows: `docker.io/` and a lone `library/` are dropped
    /// (`alpine:latest`, `user/repo:1.0`, `localhost:5000/busybox:latest`).
    public var familiar: String { Self.join(familiarName, tag, digest) }

    /// ``familiar`` without tag and digest: `alpine`, `localhost:5000/busybox`.
    ///
    /// Unlike Docker's, the short form always parses back to the same reference: a Docker Hub
    /// repository whose first component would read as a domain (`docker.io/example.com/x`) keeps
    /// its `docker.io/` prefix.
    public var familiarName: String {
        guard domain == Self.dockerHubDomain else { return name }
        let prefix = "library/"
        if repository.hasPrefix(prefix), !repository.dropFirst(prefix.count).contains("/") {
            return String(repository.dropFirst(prefix.count))
        }
        if let slash = repository.firstIndex(of: "/"), Self.looksLikeDomain(repository[..<slash]) {
            return name
        }
        return repository
    }

    /// The host (and port) to send registry API requests to: `registry-1.docker.io` for Docker Hub,
    /// otherwise ``domain``.
    public var registryHost: String {
        domain == Self.dockerHubDomain ? Self.dockerHubRegistryHost : domain
    }

    /// Whether the image lives on Docker Hub.
    public var isDockerHub: Bool { domain == Self.dockerHubDomain }

    /// What to ask the registry's manifest endpoint for: the digest when there is one, else the tag.
    /// `nil` only for a reference parsed with `addingDefaultTag: false` that has neither.
    public var manifestReference: String? { digest?.description ?? tag }

    /// The same repository with another tag, keeping no digest. Throws ``ImageSpecError`` (`invalidTag`).
    public func withTag(_ tag: String) throws -> ImageReference {
        guard Self.isValidTag(tag) else { throw Self.tagError(tag) }
        return ImageReference(uncheckedDomain: domain, repository: repository, tag: tag, digest: nil)
    }

    /// The same reference pinned to `digest`, keeping its tag.
    public func withDigest(_ digest: Digest) -> ImageReference {
        ImageReference(uncheckedDomain: domain, repository: repository, tag: tag, digest: digest)
    }

    /// The repository alone, with neither tag nor digest.
    public var nameOnly: ImageReference {
        ImageReference(uncheckedDomain: domain, repository: repository, tag: nil, digest: nil)
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try ImageSpecError.locating(decoder) { try ImageReference(parsing: text, addingDefaultTag: false) }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    init(uncheckedDomain domain: String, repository: String, tag: String?, digest: Digest?) {
        self.domain = domain
        self.repository = repository
        self.tag = tag
        self.digest = digest
    }

    private static func join(_ name: String, _ tag: String?, _ digest: Digest?) -> String {
        var text = name
        if let tag { text += ":" + tag }
        if let digest { text += "@" + digest.description }
        return text
    }
}
