import AsyncHTTPClient
import Foundation
import ImageSpec
import NIOCore
import NIOHTTP1

extension RegistryClient {
    /// The `Accept` header for manifests: OCI index/manifest and Docker list/schema 2.
    public static let manifestAccept = [MediaType.ociIndex, .ociManifest, .dockerManifestList, .dockerManifest]
        .map(\.rawValue).joined(separator: ", ")

    /// Checks that the registry speaks the v2 API (`GET /v2/`), authenticating if it asks to.
    public func ping(host: String) async throws {
        let request = Request(method: .GET, url: configuration.transport.baseURL(forHost: host), timeout: .seconds(30))
        let response = try await send(request, host: host, scopes: [])
        guard response.status == .ok else { throw await Self.failure(response, doing: "pinging \(host)") }
        _ = try? await response.body.collect(upTo: 1 << 20)
    }

    /// Fetches the manifest (or index) `reference` names, by digest when it has one, else by tag.
    ///
    /// Returns its descriptor (media type from `Content-Type`, else the document's `mediaType`;
    /// digest of the bytes received) and the exact bytes. Throws `digestMismatch` when the bytes do
    /// not hash to the reference's digest or to a `Docker-Content-Digest` header.
    public func resolve(_ reference: ImageReference) async throws -> (descriptor: Descriptor, bytes: Data) {
        guard let target = reference.manifestReference else {
            throw RegistryError(.configuration, "\(reference) names neither a tag nor a digest")
        }
        let host = reference.registryHost
        let request = Request(method: .GET, url: url(host: host, repository: reference.repository, "manifests/" + target),
                              headers: [("Accept", Self.manifestAccept)], timeout: .seconds(120))
        let response = try await send(request, host: host, scopes: [.pull(reference.repository)])
        guard response.status == .ok else { throw await Self.failure(response, doing: "fetching manifest \(reference)") }
        let bytes = try await collect(response, limit: configuration.maxManifestSize, what: "manifest \(reference)")
        let algorithm = reference.digest?.algorithm ?? .sha256
        let digest = Digest.digest(of: bytes, algorithm: algorithm)
        if let expected = reference.digest, expected != digest {
            throw RegistryError(.digestMismatch, "manifest \(reference) has digest \(digest), not the \(expected) asked for; the registry served wrong content")
        }
        if let header = response.headers.first(name: "Docker-Content-Digest"), let stated = Digest(header),
           stated.algorithm == algorithm, stated != digest {
            throw RegistryError(.digestMismatch, "manifest \(reference) has digest \(digest) but the registry's Docker-Content-Digest says \(stated)")
        }
        let mediaType = try Self.manifestMediaType(contentType: response.headers.first(name: "Content-Type"), bytes: bytes, reference: reference)
        return (Descriptor(mediaType: mediaType, digest: digest, size: Int64(bytes.count)), bytes)
    }

    /// The media type of a manifest response: `Content-Type` without parameters when it is a known
    /// manifest type, else the document's own `mediaType` field.
    static func manifestMediaType(contentType: String?, bytes: Data, reference: ImageReference) throws -> MediaType {
        if let contentType, let base = contentType.split(separator: ";").first.map({ $0.trimmingCharacters(in: .whitespaces) }),
           let type = MediaType(base), type.isIndex || type.isManifest {
            return type
        }
        struct Probe: Decodable { var mediaType: String?; var manifests: [JSONValue]?; var config: JSONValue? }
        if let probe = try? JSONDecoder().decode(Probe.self, from: bytes) {
            if let text = probe.mediaType, let type = MediaType(text), type.isIndex || type.isManifest { return type }
            if probe.manifests != nil { return .ociIndex }
            if probe.config != nil { return .ociManifest }
        }
        throw RegistryError(.protocolViolation, "\(reference) is not an OCI or Docker image manifest or index (Content-Type \(contentType ?? "none"))")
    }

    /// Resolves `reference` to the image manifest for `platform`: directly when it names a
    /// manifest, else through the index entry ``ImageSpec/Index/manifest(for:)`` picks.
    /// Throws `notFound` when the index has no entry that runs on `platform`.
    public func manifest(for reference: ImageReference, platform: Platform) async throws -> (descriptor: Descriptor, bytes: Data) {
        let top = try await resolve(reference)
        guard top.descriptor.mediaType.isIndex else { return top }
        let index = try CanonicalJSON.decode(Index.self, from: top.bytes)
        guard let entry = index.manifest(for: platform) else {
            let offered = index.manifests.compactMap { $0.platform.map { "\($0)" } }.joined(separator: ", ")
            throw RegistryError(.notFound, "\(reference) has no image for \(platform) (it has: \(offered))")
        }
        let child = try await resolve(reference.nameOnly.withDigest(entry.digest))
        var descriptor = entry
        descriptor.size = child.descriptor.size
        return (descriptor, child.bytes)
    }

    /// Streams the blob `descriptor` names from `repository` on `host`, from byte `offset` on.
    ///
    /// Chunks arrive as the network delivers them, never the whole blob at once. The stream ends
    /// after exactly `descriptor.size - offset` bytes (extra bytes are dropped; fewer is an
    /// error). A dropped connection or a 5xx is retried with `Range: bytes=<n>-` from where it
    /// stopped, per the client's ``RetryPolicy``. Digest verification is the caller's: wrap the
    /// stream in ``VerifyingStream`` or hash it while storing.
    public func fetchBlob(host: String, repository: String, descriptor: Descriptor, from offset: Int64 = 0) -> BlobStream {
        BlobStream(client: self, host: host, repository: repository, descriptor: descriptor, offset: offset)
    }

    /// One GET of a blob starting at `offset`; returns the response positioned at `offset`
    /// (skipping bytes when the registry ignored the Range header).
    func openBlob(host: String, repository: String, descriptor: Descriptor, offset: Int64) async throws -> (HTTPClientResponse, skip: Int64) {
        var headers: [(String, String)] = []
        if offset > 0 { headers.append(("Range", BlobRange.header(from: offset))) }
        let request = Request(method: .GET, url: url(host: host, repository: repository, "blobs/" + descriptor.digest.description),
                              headers: headers, timeout: .hours(6))
        let response: HTTPClientResponse
        do {
            response = try await send(request, host: host, scopes: [.pull(repository)])
        } catch let error as RegistryError where error.kind == .transport {
            // Connection failures were retried a bounded number of times already (a redirect to a blob
            // host that cannot be reached included): say which blob, and stop.
            throw RegistryError(.transport, "blob \(descriptor.digest) of \(repository) could not be fetched after "
                                + "\(configuration.retry.maxAttempts) attempts (the registry or the storage host it redirects to is "
                                + "unreachable): \(error.message)")
        }
        switch response.status.code {
        case 200:
            return (response, offset)
        case 206:
            let start = response.headers.first(name: "Content-Range").flatMap(BlobRange.start(ofContentRange:))
            guard start == offset else {
                throw RegistryError(.protocolViolation, "blob \(descriptor.digest): asked for bytes from \(offset), registry sent a range starting at \(start.map(String.init) ?? "?")")
            }
            return (response, 0)
        default:
            throw await Self.failure(response, doing: "fetching blob \(descriptor.digest) from \(repository)")
        }
    }
}

/// `Range` / `Content-Range` helpers for resumable blob GETs.
public enum BlobRange {
    /// `bytes=<offset>-`.
    public static func header(from offset: Int64) -> String { "bytes=\(offset)-" }

    /// The first byte of a `Content-Range: bytes <start>-<end>/<size>` header.
    public static func start(ofContentRange header: String) -> Int64? {
        let text = header.trimmingCharacters(in: .whitespaces)
        guard text.hasPrefix("bytes ") else { return nil }
        let range = text.dropFirst(6)
        guard let dash = range.firstIndex(of: "-") else { return nil }
        return Int64(range[..<dash])
    }
}
