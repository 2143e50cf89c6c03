import XCTest
@testable import Distribution

final class AuthChallengeTests: XCTestCase {
    func testDockerHubBearerWithCommaInScope() {
        let header = #"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull,push""#
        let challenges = AuthChallenge.parse(header)
        XCTAssertEqual(challenges.count, 1)
        XCTAssertEqual(challenges[0].scheme, "bearer")
        XCTAssertEqual(challenges[0].realm, "https://auth.docker.io/token")
        XCTAssertEqual(challenges[0].service, "registry.docker.io")
        XCTAssertEqual(challenges[0].scope, "repository:library/busybox:pull,push")
    }

    func testBasicRealm() {
        let challenges = AuthChallenge.parse(#"Basic realm="kiln-test""#)
        XCTAssertEqual(challenges, [AuthChallenge(scheme: "basic", parameters: ["realm": "kiln-test"])])
    }

    func testSchemeAndNamesAreCaseInsensitiveAndSpacesTolerated() {
        let challenges = AuthChallenge.parse(#"BEARER  Realm = "https://r/t" ,  Service="svc""#)
        XCTAssertEqual(challenges.first?.scheme, "bearer")
        XCTAssertEqual(challenges.first?.realm, "https://r/t")
        XCTAssertEqual(challenges.first?.service, "svc")
    }

    func testUnquotedValues() {
        let challenges = AuthChallenge.parse("Bearer realm=https://auth.example.com/token,service=example.com")
        XCTAssertEqual(challenges.first?.realm, "https://auth.example.com/token")
        XCTAssertEqual(challenges.first?.service, "example.com")
    }

    func testEscapedQuotesAndEquals() {
        let challenges = AuthChallenge.parse(#"Bearer realm="https://a/t?x=1",error="insufficient_scope",error_description="say \"hi\", ok""#)
        XCTAssertEqual(challenges.first?.realm, "https://a/t?x=1")
        XCTAssertEqual(challenges.first?.parameters["error"], "insufficient_scope")
        XCTAssertEqual(challenges.first?.parameters["error_description"], #"say "hi", ok"#)
    }

    func testSeveralChallengesInOneHeader() {
        let challenges = AuthChallenge.parse(#"Basic realm="a", Bearer realm="https://b/token",service="b""#)
        XCTAssertEqual(challenges.map(\.scheme), ["basic", "bearer"])
        XCTAssertEqual(challenges[1].realm, "https://b/token")
        XCTAssertEqual(AuthChallenge.first("Bearer", in: [#"Basic realm="a""#, #"Bearer realm="x""#])?.realm, "x")
    }

    func testSchemeWithoutParameters() {
        XCTAssertEqual(AuthChallenge.parse("Negotiate").map(\.scheme), ["negotiate"])
        XCTAssertEqual(AuthChallenge.parse("").count, 0)
    }

    func testUnterminatedQuoteKeepsWhatParsed() {
        let challenges = AuthChallenge.parse(#"Bearer realm="https://r",scope="oops"#)
        XCTAssertEqual(challenges.first?.realm, "https://r")
        XCTAssertNil(challenges.first?.scope)
    }
}

final class ScopeAndURLTests: XCTestCase {
    func testScopeStrings() {
        XCTAssertEqual(RegistryScope.pull("library/busybox").description, "repository:library/busybox:pull")
        XCTAssertEqual(RegistryScope.push("a/b").description, "repository:a/b:pull,push")
        XCTAssertEqual(RegistryClient.scopeKey([.push("a"), .pull("b")]), "repository:a:pull,push repository:b:pull")
        let parsed = RegistryScope(parsing: "repository:localhost:5000/x:pull,push")
        XCTAssertEqual(parsed?.name, "localhost:5000/x")
        XCTAssertEqual(parsed?.actions, ["pull", "push"])
        XCTAssertNil(RegistryScope(parsing: "nonsense"))
    }

    func testSchemesAndBaseURLs() {
        let transport = RegistryTransport(insecureHosts: ["registry.lan:5000"], certsDirectories: [])
        XCTAssertEqual(transport.baseURL(forHost: "ghcr.io"), "https://ghcr.io/v2/")
        XCTAssertEqual(transport.baseURL(forHost: "localhost:5000"), "http://localhost:5000/v2/")
        XCTAssertEqual(transport.baseURL(forHost: "127.0.0.1:5055"), "http://127.0.0.1:5055/v2/")
        XCTAssertEqual(transport.scheme(forHost: "[::1]:5000"), "http")
        XCTAssertEqual(transport.scheme(forHost: "registry.lan:5000"), "http")
        XCTAssertEqual(transport.scheme(forHost: "registry.lan:5001"), "https")
        XCTAssertEqual(transport.scheme(forHost: "localhost.evil.com"), "https")
    }

    func testManifestAndBlobURLsAndLocations() {
        let client = RegistryClient(configuration: .init(transport: RegistryTransport(certsDirectories: [])))
        defer { Task { try? await client.shutdown() } }
        XCTAssertEqual(client.url(host: "ghcr.io", repository: "o/r", "manifests/latest"), "https://ghcr.io/v2/o/r/manifests/latest")
        XCTAssertEqual(client.resolveLocation("/v2/o/r/blobs/uploads/abc?_state=x", host: "ghcr.io"), "https://ghcr.io/v2/o/r/blobs/uploads/abc?_state=x")
        XCTAssertEqual(client.resolveLocation("https://up.example/u/1", host: "ghcr.io"), "https://up.example/u/1")
        XCTAssertEqual(RegistryClient.appendingQuery("http://h/u?_state=x", [("digest", "sha256:ab")]), "http://h/u?_state=x&digest=sha256%3Aab")
        XCTAssertEqual(RegistryClient.appendingQuery("http://h/t", [("service", "a b"), ("scope", "repository:x:pull,push")]),
                       "http://h/t?service=a%20b&scope=repository%3Ax%3Apull%2Cpush")
    }

    func testCAFilesPerHost() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-certs-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/reg.example:5000", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: root + "/reg.example:5000/ca.crt", contents: Data("x".utf8))
        _ = FileManager.default.createFile(atPath: root + "/reg.example:5000/client.key", contents: Data("x".utf8))
        let transport = RegistryTransport(certsDirectories: [root])
        XCTAssertEqual(transport.caFiles(forHost: "reg.example:5000"), [root + "/reg.example:5000/ca.crt"])
        XCTAssertEqual(transport.caFiles(forHost: "reg.example"), [])
        XCTAssertThrowsError(try transport.tlsConfiguration(forHost: "reg.example:5000"))
    }

    func testRangeHelpersAndRetryDelays() {
        XCTAssertEqual(BlobRange.header(from: 1024), "bytes=1024-")
        XCTAssertEqual(BlobRange.start(ofContentRange: "bytes 1024-2047/4096"), 1024)
        XCTAssertEqual(BlobRange.start(ofContentRange: "bytes 0-9/*"), 0)
        XCTAssertNil(BlobRange.start(ofContentRange: "items 0-9/10"))
        let policy = RetryPolicy(maxAttempts: 5, initialDelay: .milliseconds(100), maxDelay: .milliseconds(300))
        XCTAssertEqual(policy.delay(beforeAttempt: 1), .zero)
        XCTAssertEqual(policy.delay(beforeAttempt: 2), .milliseconds(100))
        XCTAssertEqual(policy.delay(beforeAttempt: 3), .milliseconds(200))
        XCTAssertEqual(policy.delay(beforeAttempt: 4), .milliseconds(300))
        XCTAssertTrue(RetryPolicy.isRetryable(status: 503))
        XCTAssertFalse(RetryPolicy.isRetryable(status: 404))
    }

    func testTokenCacheExpiry() async {
        let clock = TestClock()
        let cache = TokenCache(now: { clock.now })
        await cache.store("t1", host: "h", scope: "s", expiresIn: 60)
        let fresh = await cache.token(host: "h", scope: "s")
        XCTAssertEqual(fresh, "t1")
        let otherScope = await cache.token(host: "h", scope: "other")
        XCTAssertNil(otherScope)
        clock.advance(56)
        let expired = await cache.token(host: "h", scope: "s")
        XCTAssertNil(expired)
    }

    func testErrorBodyDecoding() {
        let body = Data(#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}}]}"#.utf8)
        let error = RegistryError.status(404, body: body, doing: "fetching manifest x")
        XCTAssertEqual(error.kind, .notFound)
        XCTAssertEqual(error.details, [RegistryError.Detail(code: "MANIFEST_UNKNOWN", message: "manifest unknown")])
        XCTAssertTrue(error.description.contains("MANIFEST_UNKNOWN: manifest unknown"))
        XCTAssertEqual(RegistryError.status(401, body: Data("nope".utf8), doing: "x").details, [])
    }
}

/// A settable clock for the token cache.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current = Date(timeIntervalSince1970: 1_000_000)
    var now: Date { lock.withLock { current } }
    func advance(_ seconds: TimeInterval) { lock.withLock { current += seconds } }
}
