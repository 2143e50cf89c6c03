import AsyncHTTPClient
import Foundation
import ImageSpec
import NIOCore
import NIOHTTP1

/// Produces a blob's bytes from the start, once per call, so a failed upload can be retried.
/// Use a pull-based stream (`AsyncThrowingStream(unfolding:)`) so bytes are read as they are sent.
public typealias BlobSource = @Sendable () throws -> AsyncThrowingStream<Data, any Error>

extension RegistryClient {
    /// A ``BlobSource`` over bytes in memory (configs, small blobs, tests).
    public static func source(_ data: Data, chunkSize: Int = 1 << 20) -> BlobSource {
        let chunks = stride(from: 0, to: data.count, by: max(1, chunkSize)).map { data.subdata(in: $0..<min($0 + chunkSize, data.count)) }
        return {
            AsyncThrowingStream { continuation in
                for chunk in chunks { continuation.yield(chunk) }
                continuation.finish()
            }
        }
    }

    /// Whether `repository` on `host` has the blob (`HEAD`; 200 yes, 404 no).
    public func blobExists(host: String, repository: String, digest: Digest) async throws -> Bool {
        let request = Request(method: .HEAD, url: url(host: host, repository: repository, "blobs/" + digest.description), timeout: .seconds(60))
        let response = try await send(request, host: host, scopes: [.push(repository)])
        switch response.status.code {
        case 200: return true
        case 404: return false
        default: throw await Self.failure(response, doing: "checking for blob \(digest) in \(repository)")
        }
    }

    /// How a blob got into the repository.
    public enum PushOutcome: Sendable, Equatable {
        /// The repository already had it.
        case existed
        /// Mounted from another repository of the same registry without transferring bytes.
        case mounted
        /// The bytes were uploaded.
        case uploaded
    }

    /// Makes sure `repository` has the blob `descriptor`: done if it exists; else a cross-repository
    /// mount from `mountFrom` when given (falling back to an upload when the registry answers 202);
    /// else an upload of `source`'s bytes, monolithic up to the chunked threshold, chunked above.
    /// A failed upload is restarted from scratch (calling `source` again) per the retry policy.
    @discardableResult
    public func pushBlob(host: String, repository: String, descriptor: Descriptor, mountFrom: String? = nil, source: @escaping BlobSource) async throws -> PushOutcome {
        if try await blobExists(host: host, repository: repository, digest: descriptor.digest) { return .existed }
        var attempt = 1
        while true {
            do {
                var location: String
                if let mountFrom, attempt == 1 {
                    switch try await startMount(host: host, repository: repository, digest: descriptor.digest, from: mountFrom) {
                    case .mounted: return .mounted
                    case .upload(let url): location = url
                    }
                } else {
                    location = try await startUpload(host: host, repository: repository)
                }
                if descriptor.size > configuration.chunkedUploadThreshold {
                    location = try await uploadChunks(host: host, repository: repository, location: location, source: source)
                    try await finishUpload(host: host, repository: repository, location: location, descriptor: descriptor, body: nil)
                } else {
                    try await finishUpload(host: host, repository: repository, location: location, descriptor: descriptor, body: source)
                }
                return .uploaded
            } catch let error as RegistryError where (error.kind == .transport || (error.statusCode ?? 0) >= 500) && attempt < configuration.retry.maxAttempts {
                attempt += 1
                try await Task.sleep(for: configuration.retry.delay(beforeAttempt: attempt))
            }
        }
    }

    enum MountResult { case mounted, upload(String) }

    /// `POST /v2/<name>/blobs/uploads/?mount=<digest>&from=<repo>`: 201 mounted, 202 an upload session.
    func startMount(host: String, repository: String, digest: Digest, from: String) async throws -> MountResult {
        let target = Self.appendingQuery(url(host: host, repository: repository, "blobs/uploads/"), [("mount", digest.description), ("from", from)])
        let request = Request(method: .POST, url: target, headers: [("Content-Length", "0")], timeout: .seconds(120))
        let response = try await send(request, host: host, scopes: [.push(repository), .pull(from)])
        switch response.status.code {
        case 201:
            _ = try? await response.body.collect(upTo: 1 << 20)
            return .mounted
        case 202:
            _ = try? await response.body.collect(upTo: 1 << 20)
            return .upload(try location(of: response, host: host, doing: "mounting \(digest) into \(repository)"))
        default:
            throw await Self.failure(response, doing: "mounting blob \(digest) from \(from) into \(repository)")
        }
    }

    /// `POST /v2/<name>/blobs/uploads/` → the upload session URL.
    func startUpload(host: String, repository: String) async throws -> String {
        let request = Request(method: .POST, url: url(host: host, repository: repository, "blobs/uploads/"), headers: [("Content-Length", "0")], timeout: .seconds(120))
        let response = try await send(request, host: host, scopes: [.push(repository)])
        guard response.status.code == 202 else { throw await Self.failure(response, doing: "starting an upload to \(repository)") }
        _ = try? await response.body.collect(upTo: 1 << 20)
        return try location(of: response, host: host, doing: "starting an upload to \(repository)")
    }

    func location(of response: HTTPClientResponse, host: String, doing what: String) throws -> String {
        guard let location = response.headers.first(name: "Location"), !location.isEmpty else {
            throw RegistryError(.protocolViolation, "\(what): the registry sent no Location header")
        }
        return resolveLocation(location, host: host)
    }

    /// PATCHes `source` in chunks of ``Configuration/chunkSize`` with `Content-Range`; returns the
    /// session URL to finish with.
    func uploadChunks(host: String, repository: String, location: String, source: BlobSource) async throws -> String {
        var location = location
        var offset: Int64 = 0
        var pending = Data()
        var iterator = try source().makeAsyncIterator()
        var done = false
        while !done {
            while pending.count < configuration.chunkSize {
                guard let chunk = try await iterator.next() else { done = true; break }
                pending.append(chunk)
            }
            guard !pending.isEmpty else { break }
            let piece = pending.count > configuration.chunkSize ? pending.prefix(configuration.chunkSize) : pending
            let bytes = Data(piece)
            pending = Data(pending.dropFirst(bytes.count))
            if !pending.isEmpty { done = false }
            let request = Request(
                method: .PATCH, url: location,
                headers: [("Content-Type", "application/octet-stream"), ("Content-Length", String(bytes.count)),
                          ("Content-Range", "\(offset)-\(offset + Int64(bytes.count) - 1)")],
                body: { .bytes(ByteBuffer(bytes: bytes)) }, timeout: .seconds(600))
            let response = try await send(request, host: host, scopes: [.push(repository)])
            guard response.status.code == 202 else { throw await Self.failure(response, doing: "uploading a chunk to \(repository)") }
            _ = try? await response.body.collect(upTo: 1 << 20)
            location = try self.location(of: response, host: host, doing: "uploading a chunk to \(repository)")
            offset += Int64(bytes.count)
        }
        return location
    }

    /// `PUT <location>?digest=<digest>` with the whole body (monolithic) or none (after chunks).
    func finishUpload(host: String, repository: String, location: String, descriptor: Descriptor, body source: BlobSource?) async throws {
        let target = Self.appendingQuery(location, [("digest", descriptor.digest.description)])
        var headers: [(String, String)] = [("Content-Type", "application/octet-stream")]
        var body: (@Sendable () throws -> HTTPClientRequest.Body)?
        if let source {
            let size = descriptor.size
            body = { .stream(ByteBufferStream(base: try source()), length: .known(size)) }
        } else {
            headers.append(("Content-Length", "0"))
        }
        let request = Request(method: .PUT, url: target, headers: headers, body: body, timeout: .hours(6))
        let response = try await send(request, host: host, scopes: [.push(repository)])
        guard response.status.code == 201 else { throw await Self.failure(response, doing: "uploading blob \(descriptor.digest) to \(repository)") }
        _ = try? await response.body.collect(upTo: 1 << 20)
    }

    /// `PUT /v2/<name>/manifests/<tag or digest>`; returns the manifest's digest (checked against
    /// the registry's `Docker-Content-Digest` when it sends one). With neither tag nor digest in
    /// `reference`, pushes by digest.
    @discardableResult
    public func putManifest(_ reference: ImageReference, mediaType: MediaType, bytes: Data) async throws -> Digest {
        let digest = Digest.sha256(of: bytes)
        let host = reference.registryHost
        let target = reference.tag ?? digest.description
        let request = Request(method: .PUT, url: url(host: host, repository: reference.repository, "manifests/" + target),
                              headers: [("Content-Type", mediaType.rawValue)], body: { .bytes(ByteBuffer(bytes: bytes)) }, timeout: .seconds(300))
        let response = try await send(request, host: host, scopes: [.push(reference.repository)])
        guard response.status.code == 201 else { throw await Self.failure(response, doing: "pushing manifest \(reference)") }
        _ = try? await response.body.collect(upTo: 1 << 20)
        if let header = response.headers.first(name: "Docker-Content-Digest"), let stated = Digest(header), stated != digest {
            throw RegistryError(.digestMismatch, "pushed manifest \(reference) has digest \(digest) but the registry says \(stated)")
        }
        return digest
    }
}

/// Adapts a stream of `Data` chunks to the `ByteBuffer`s the HTTP client sends.
struct ByteBufferStream: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let base: AsyncThrowingStream<Data, any Error>

    func makeAsyncIterator() -> Iterator { Iterator(base: base.makeAsyncIterator()) }

    struct Iterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<Data, any Error>.AsyncIterator
        mutating func next() async throws -> ByteBuffer? {
            guard let data = try await base.next() else { return nil }
            return ByteBuffer(bytes: data)
        }
    }
}
