import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

extension RegistryClient {
    /// The cache key for a set of scopes: their wire forms joined by spaces.
    static func scopeKey(_ scopes: [RegistryScope]) -> String {
        scopes.map(\.description).joined(separator: " ")
    }

    /// The `Authorization` value to send to `host` given the challenge it last issued: nil when it
    /// issued none (anonymous), `Basic …` from stored credentials, or `Bearer …` from the token
    /// cache or a fresh token from the challenge's realm.
    func authorization(host: String, scopes: [RegistryScope], challenge: AuthChallenge?) async throws -> String? {
        guard let challenge else { return nil }
        switch challenge.scheme {
        case "basic":
            guard let credentials = try configuration.credentials?.credentials(forHost: host) else {
                throw RegistryError(.unauthorized, "\(host) requires a user name and password; run `docker login \(host)`")
            }
            return credentials.basicAuthorization
        case "bearer":
            let key = Self.scopeKey(scopes)
            if let token = await tokens.token(host: host, scope: key) { return "Bearer " + token }
            var wanted = scopes.map(\.description)
            for extra in (challenge.scope ?? "").split(separator: " ").map(String.init) where !wanted.contains(extra) {
                wanted.append(extra)
            }
            let (token, expiresIn) = try await fetchToken(challenge: challenge, scopes: wanted, host: host)
            await tokens.store(token, host: host, scope: key, expiresIn: expiresIn)
            return "Bearer " + token
        default:
            throw RegistryError(.unauthorized, "\(host) asks for unsupported authentication scheme \(challenge.scheme)")
        }
    }

    /// The token endpoint's reply (Docker token spec): `token` or `access_token`, `expires_in`.
    struct TokenReply: Decodable {
        var token: String?
        var access_token: String?
        var expires_in: Double?
    }

    /// GETs `realm?service=…&scope=…` (Basic credentials when known) and returns the token and
    /// its lifetime in seconds (60 when unstated).
    ///
    /// The realm is a URL the registry chose, so it is checked before anything is sent (`checkRealm`).
    /// Like Docker, the realm gets the credentials stored for the registry (`host`), whatever host the
    /// realm names (Docker Hub's registry-1.docker.io sends clients to auth.docker.io): a registry one
    /// logged in to is trusted to name its own token service. Never any other host's credentials.
    func fetchToken(challenge: AuthChallenge, scopes: [String], host: String) async throws -> (String, TimeInterval) {
        guard let realm = challenge.realm, let realmURL = URL(string: realm) else {
            throw RegistryError(.protocolViolation, "\(host) sent a Bearer challenge without a usable realm")
        }
        try checkRealm(realmURL, realm: realm, host: host)
        guard let realmHost = realmURL.host, !realmHost.isEmpty else {
            throw RegistryError(.protocolViolation, "\(host) sent a Bearer challenge without a usable realm (\(realm) names no host)")
        }
        var query: [(String, String)] = []
        if let service = challenge.service { query.append(("service", service)) }
        query += scopes.map { ("scope", $0) }
        var request = HTTPClientRequest(url: Self.appendingQuery(realm, query))
        request.headers.add(name: "User-Agent", value: configuration.userAgent)
        let realmAuthority = realmURL.port.map { "\(realmHost):\($0)" } ?? realmHost
        request.tlsConfiguration = try configuration.transport.tlsConfiguration(forHost: realmAuthority)
        if let credentials = try configuration.credentials?.credentials(forHost: host) {
            request.headers.add(name: "Authorization", value: credentials.basicAuthorization)
        }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .seconds(60))
        } catch {
            throw RegistryError(.transport, "cannot reach the token service \(realm) for \(host): \(error)")
        }
        guard response.status == .ok else {
            let failure = await Self.failure(response, doing: "getting a token for \(host) from \(realm)")
            throw RegistryError(.unauthorized, failure.message + "; check the credentials for \(host)", statusCode: failure.statusCode, details: failure.details)
        }
        let body = try await Self.collect(response, limit: 1 << 20)
        guard let reply = try? JSONDecoder().decode(TokenReply.self, from: body), let token = reply.token ?? reply.access_token, !token.isEmpty else {
            throw RegistryError(.protocolViolation, "the token service \(realm) returned no token")
        }
        return (token, reply.expires_in ?? 60)
    }

    /// A token realm kiln will contact for `host`: an `http` or `https` URL (never `http+unix://`, `file:` or
    /// anything else that would reach a local socket or file), and over plain `http` only when the registry
    /// itself is reached over plain HTTP or the realm is on this machine or a host configured as insecure —
    /// a registry reached over TLS cannot send the credentials to a cleartext token service.
    ///
    /// - Throws: ``RegistryError`` (`protocolViolation`) naming the realm and why it was refused.
    func checkRealm(_ url: URL, realm: String, host: String) throws {
        let scheme = (url.scheme ?? "").lowercased()
        guard scheme == "http" || scheme == "https" else {
            throw RegistryError(.protocolViolation, "\(host) named the token service \(realm): only http and https token realms are "
                                + "accepted (refusing scheme \"\(scheme)\"); the registry's credentials were not sent")
        }
        if scheme == "http" {
            let authority = url.port.map { "\(url.host ?? ""):\($0)" } ?? (url.host ?? "")
            let transport = configuration.transport
            let allowed = transport.scheme(forHost: host) == "http" || RegistryTransport.isLoopback(authority)
                || transport.insecureHosts.contains(authority) || transport.insecureHosts.contains(url.host ?? "")
            guard allowed else {
                throw RegistryError(.protocolViolation, "\(host) is reached over HTTPS but named the plain-HTTP token service \(realm); "
                                    + "refusing to send its credentials in clear text (mark the realm's host insecure to allow it)")
            }
        }
    }
}
