import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// A client for OCI distribution-spec registries (Docker Hub, GHCR, `docker-registry`, …).
///
/// It authenticates the way Docker does (anonymous, then `Bearer` tokens from the realm a 401
/// names, or `Basic`), with credentials from a ``CredentialStore``. Pull and push primitives live
/// in `RegistryClient+Pull.swift` and `RegistryClient+Push.swift`. It streams blob bytes and never
/// writes files. Call ``shutdown()`` when done (unless you passed your own `HTTPClient`).
public final class RegistryClient: Sendable {
    /// Knobs with safe defaults.
    public struct Configuration: Sendable {
        public var transport: RegistryTransport
        public var retry: RetryPolicy
        /// Nil means anonymous only.
        public var credentials: CredentialStore?
        /// Blobs larger than this are pushed in chunks (PATCH) rather than in one PUT.
        public var chunkedUploadThreshold: Int64
        /// Size of each PATCH of a chunked upload; each chunk is held in memory once.
        public var chunkSize: Int
        /// Largest manifest accepted, in bytes (the spec suggests registries cap at 4 MiB).
        public var maxManifestSize: Int
        public var userAgent: String
        /// How long a response may go without bringing data (and the window in which a body must
        /// bring at least 1 KiB) before the request counts as failed and is retried. From
        /// `KILN_REGISTRY_READ_TIMEOUT` (seconds), else 60 s.
        public var readTimeout: Duration = StallGuard.readTimeout()

        public init(
            transport: RegistryTransport = RegistryTransport(), retry: RetryPolicy = RetryPolicy(),
            credentials: CredentialStore? = nil, chunkedUploadThreshold: Int64 = 64 << 20, chunkSize: Int = 16 << 20,
            maxManifestSize: Int = 4 << 20, userAgent: String = "kiln"
        ) {
            self.transport = transport
            self.retry = retry
            self.credentials = credentials
            self.chunkedUploadThreshold = chunkedUploadThreshold
            self.chunkSize = chunkSize
            self.maxManifestSize = maxManifestSize
            self.userAgent = userAgent
        }
    }

    public let configuration: Configuration
    let http: HTTPClient
    private let ownsHTTPClient: Bool
    let tokens = TokenCache()
    /// The last auth challenge seen per host, so later requests authenticate up front.
    let challenges = Mutex<[String: AuthChallenge]>([:])

    /// Creates a client. With no `httpClient`, one is created (and shut down by ``shutdown()``).
    public init(configuration: Configuration = Configuration(), httpClient: HTTPClient? = nil) {
        self.configuration = configuration
        if let httpClient {
            http = httpClient
            ownsHTTPClient = false
        } else {
            var config = HTTPClient.Configuration()
            config.timeout = .init(connect: .seconds(30), read: .nanoseconds(configuration.readTimeout.nanosecondsRounded))
            config.redirectConfiguration = .follow(max: 5, allowCycles: false)
            // Our RetryPolicy retries failed connections; the pool's own retrying would keep a
            // failing TLS handshake going until the connect timeout, on every attempt.
            config.connectionPool.retryConnectionEstablishment = false
            http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: config)
            ownsHTTPClient = true
        }
    }

    /// Shuts down the HTTP client this instance created.
    public func shutdown() async throws {
        if ownsHTTPClient { try await http.shutdown() }
    }

    /// A certificate or handshake failure: retrying cannot help, so it is reported at once.
    static func isTLSFailure(_ error: any Error) -> Bool {
        let name = String(reflecting: type(of: error))
        return name.contains("NIOSSL") || name.contains("BoringSSL") || "\(error)".contains("handshakeFailed")
    }

    // MARK: - URLs

    /// `scheme://host/v2/<repository>/<path>`.
    func url(host: String, repository: String, _ path: String) -> String {
        configuration.transport.baseURL(forHost: host) + repository + "/" + path
    }

    /// Resolves an upload `Location` header (absolute, or relative to the registry) to a URL.
    func resolveLocation(_ location: String, host: String) -> String {
        if location.hasPrefix("http://") || location.hasPrefix("https://") { return location }
        let origin = "\(configuration.transport.scheme(forHost: host))://\(host)"
        return location.hasPrefix("/") ? origin + location : origin + "/" + location
    }

    /// Adds `name=value` to `url`'s query, percent-encoding the value.
    static func appendingQuery(_ url: String, _ items: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        var result = url
        for (name, value) in items {
            result += result.contains("?") ? "&" : "?"
            result += name + "=" + (value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)
        }
        return result
    }

    // MARK: - Sending

    /// One logical request; `body` is called again for each attempt so it can be retried.
    struct Request: Sendable {
        var method: HTTPMethod
        var url: String
        var headers: [(String, String)] = []
        var body: (@Sendable () throws -> HTTPClientRequest.Body)? = nil
        var timeout: TimeAmount = .seconds(300)
    }

    /// Sends `request` to `host` authorised for `scopes`: answers a 401 by authenticating and
    /// retrying once, retries 5xx/429 and connection failures per ``RetryPolicy``. Returns the
    /// final response with its body unread (any status; callers check it).
    func send(_ request: Request, host: String, scopes: [RegistryScope]) async throws -> HTTPClientResponse {
        var attempt = 1
        var reauthenticated = false
        while true {
            try await Task.sleep(for: configuration.retry.delay(beforeAttempt: attempt))
            var http1 = HTTPClientRequest(url: request.url)
            http1.method = request.method
            http1.headers.add(name: "User-Agent", value: configuration.userAgent)
            for (name, value) in request.headers { http1.headers.add(name: name, value: value) }
            if let makeBody = request.body { http1.body = try makeBody() }
            http1.tlsConfiguration = try configuration.transport.tlsConfiguration(forHost: host)
            if let authorization = try await authorization(host: host, scopes: scopes, challenge: knownChallenge(host)) {
                http1.headers.replaceOrAdd(name: "Authorization", value: authorization)
            }
            let response: HTTPClientResponse
            do {
                response = try await http.execute(http1, timeout: request.timeout)
            } catch {
                if Self.isTLSFailure(error) {
                    throw RegistryError(.transport, "TLS with \(host) failed: \(error) (a registry with its own CA needs /etc/docker/certs.d/\(host)/ca.crt)")
                }
                if error is CancellationError || attempt >= configuration.retry.maxAttempts {
                    throw RegistryError(.transport, "\(request.method) \(request.url) failed: \(error)")
                }
                attempt += 1
                continue
            }
            let status = Int(response.status.code)
            if status == 401, !reauthenticated {
                reauthenticated = true
                let offered = response.headers["WWW-Authenticate"]
                _ = try? await response.body.collect(upTo: 64 << 10)
                guard let challenge = AuthChallenge.first("bearer", in: offered) ?? AuthChallenge.first("basic", in: offered) else {
                    return response
                }
                challenges.withLock { $0[host] = challenge }
                if challenge.scheme == "bearer" {
                    await tokens.remove(host: host, scope: Self.scopeKey(scopes))
                }
                continue
            }
            if RetryPolicy.isRetryable(status: status), attempt < configuration.retry.maxAttempts {
                _ = try? await response.body.collect(upTo: 64 << 10)
                attempt += 1
                continue
            }
            return response
        }
    }

    func knownChallenge(_ host: String) -> AuthChallenge? {
        challenges.withLock { $0[host] }
    }

    /// Reads a whole (small) body, failing when it exceeds `limit` bytes (before reading them:
    /// by its `Content-Length` when it has one) or trickles in slower than the read timeout allows.
    func collect(_ response: HTTPClientResponse, limit: Int, what: String = "the response") async throws -> Data {
        if let length = response.headers.first(name: "Content-Length").flatMap(Int64.init), length > Int64(limit) {
            throw RegistryError(.protocolViolation, "\(what) is \(length) bytes, more than the \(limit) allowed; refusing it")
        }
        var data = Data()
        var guardian = StallGuard(window: configuration.readTimeout)
        do {
            for try await chunk in response.body {
                guard data.count + chunk.readableBytes <= limit else {
                    throw RegistryError(.protocolViolation, "\(what) exceeds \(limit) bytes; refusing it")
                }
                data.append(contentsOf: chunk.readableBytesView)
                try guardian.record(chunk.readableBytes, remaining: nil, what: what)
            }
        } catch let error as RegistryError {
            throw error
        } catch {
            throw RegistryError(.transport, "reading \(what) failed: \(error)")
        }
        return data
    }

    /// ``collect(_:limit:what:)`` for callers without a client (error bodies): no stall guard.
    static func collect(_ response: HTTPClientResponse, limit: Int) async throws -> Data {
        do {
            var buffer = try await response.body.collect(upTo: limit)
            return buffer.readData(length: buffer.readableBytes) ?? Data()
        } catch let error as NIOTooManyBytesError {
            throw RegistryError(.protocolViolation, "response body exceeds \(limit) bytes (\(error))")
        }
    }

    /// Throws the ``RegistryError`` for an unexpected response, reading its error body.
    static func failure(_ response: HTTPClientResponse, doing what: String) async -> RegistryError {
        let body = (try? await collect(response, limit: 1 << 20)) ?? Data()
        return RegistryError.status(Int(response.status.code), body: body, doing: what)
    }
}

extension ByteBuffer {
    mutating func readData(length: Int) -> Data? {
        guard let bytes = readBytes(length: length) else { return nil }
        return Data(bytes)
    }
}
