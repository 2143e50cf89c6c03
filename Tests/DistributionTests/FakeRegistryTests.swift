import Foundation
import ImageSpec
import XCTest
@testable import Distribution

/// The client against scripted registry quirks served by ``FakeRegistry`` on 127.0.0.1.
final class FakeRegistryTests: XCTestCase {
    let manifestBytes = Data(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#.utf8)
    let blob = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })

    var servers: [FakeRegistry] = []
    var clients: [RegistryClient] = []

    override func tearDown() async throws {
        for client in clients { try? await client.shutdown() }
        for server in servers { server.shutdown() }
    }

    func serve(_ handler: @escaping FakeRegistry.Handler) throws -> FakeRegistry {
        let server = try FakeRegistry(handler: handler)
        servers.append(server)
        return server
    }

    func client(credentials: CredentialStore? = nil) -> RegistryClient {
        let retry = RetryPolicy(maxAttempts: 3, initialDelay: .milliseconds(10), maxDelay: .milliseconds(50))
        let client = RegistryClient(configuration: .init(transport: RegistryTransport(certsDirectories: []), retry: retry, credentials: credentials))
        clients.append(client)
        return client
    }

    static func manifestResponse(_ bytes: Data, digestHeader: String?) -> FakeRegistry.Response {
        var headers = [("Content-Type", "application/vnd.oci.image.manifest.v1+json")]
        if let digestHeader { headers.append(("Docker-Content-Digest", digestHeader)) }
        return .init(status: 200, headers: headers, body: bytes)
    }

    func testBearerTokenFromRealmIsFetchedOnceCachedAndSent() async throws {
        let manifest = manifestBytes
        let digest = Digest.sha256(of: manifest)
        let portBox = Counter()
        let server = try serve { request in
            let realm = "http://127.0.0.1:\(portBox.value("port"))/token"
            if request.path == "/token" {
                guard request.headers["authorization"] == "Basic " + Data("alice:secret".utf8).base64EncodedString() else {
                    return .init(status: 401)
                }
                return .init(status: 200, body: Data(#"{"access_token":"tok-1","expires_in":300}"#.utf8))
            }
            guard request.headers["authorization"] == "Bearer tok-1" else {
                return .init(status: 401, headers: [("WWW-Authenticate", #"Bearer realm="\#(realm)",service="fake.registry",scope="repository:team/app:pull""#)],
                             body: Data(#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#.utf8))
            }
            return Self.manifestResponse(manifest, digestHeader: digest.description)
        }
        portBox.set("port", server.port)
        let config = CredentialStore.ConfigFile(auths: [server.host: .init(username: "alice", password: "secret")])
        let client = client(credentials: CredentialStore(config: config))
        let reference = try ImageReference(parsing: "\(server.host)/team/app:v1")

        let first = try await client.resolve(reference)
        XCTAssertEqual(first.descriptor, Descriptor(mediaType: .ociManifest, digest: digest, size: Int64(manifest.count)))
        XCTAssertEqual(first.bytes, manifest)
        _ = try await client.resolve(reference)

        let tokenRequests = server.requests.filter { $0.path == "/token" }
        XCTAssertEqual(tokenRequests.count, 1, "the token is cached")
        XCTAssertEqual(tokenRequests.first?.query["service"], ["fake.registry"])
        XCTAssertEqual(tokenRequests.first?.query["scope"], ["repository:team/app:pull"])
        let manifestRequests = server.requests.filter { $0.path == "/v2/team/app/manifests/v1" }
        XCTAssertEqual(manifestRequests.count, 3, "one 401, then two authorised requests")
        XCTAssertTrue(manifestRequests[0].headers["accept"]?.contains("application/vnd.oci.image.index.v1+json") == true)
    }

    func testTokenRefusedIsUnauthorized() async throws {
        let portBox = Counter()
        let server = try serve { request in
            if request.path == "/token" { return .init(status: 401, body: Data(#"{"errors":[{"code":"DENIED","message":"bad password"}]}"#.utf8)) }
            return .init(status: 401, headers: [("WWW-Authenticate", #"Bearer realm="http://127.0.0.1:\#(portBox.value("port"))/token",service="s""#)])
        }
        portBox.set("port", server.port)
        do {
            _ = try await client().resolve(ImageReference(parsing: "\(server.host)/a:b"))
            XCTFail("expected an error")
        } catch let error as RegistryError {
            XCTAssertEqual(error.kind, .unauthorized)
            XCTAssertEqual(error.details.first?.code, "DENIED")
        }
    }

    func testBasicChallengeWithoutCredentialsSaysToLogIn() async throws {
        let server = try serve { _ in .init(status: 401, headers: [("WWW-Authenticate", #"Basic realm="x""#)]) }
        do {
            try await client().ping(host: server.host)
            XCTFail("expected an error")
        } catch let error as RegistryError {
            XCTAssertEqual(error.kind, .unauthorized)
            XCTAssertTrue(error.message.contains("docker login"), error.message)
        }
    }

    func testServerErrorIsRetriedThenSucceeds() async throws {
        let manifest = manifestBytes
        let counter = Counter()
        let server = try serve { _ in
            counter.next("get") == 1 ? .init(status: 503, body: Data("busy".utf8)) : Self.manifestResponse(manifest, digestHeader: nil)
        }
        let result = try await client().resolve(ImageReference(parsing: "\(server.host)/a/b:latest"))
        XCTAssertEqual(result.bytes, manifest)
        XCTAssertEqual(counter.value("get"), 2)
    }

    func testPersistentServerErrorGivesUpAfterBoundedAttempts() async throws {
        let counter = Counter()
        let server = try serve { _ in _ = counter.next("get"); return .init(status: 500) }
        do {
            _ = try await client().resolve(ImageReference(parsing: "\(server.host)/a/b:latest"))
            XCTFail("expected an error")
        } catch let error as RegistryError {
            XCTAssertEqual(error.statusCode, 500)
        }
        XCTAssertEqual(counter.value("get"), 3)
    }

    func testMissingDockerContentDigestIsFineAndWrongOneIsRejected() async throws {
        let manifest = manifestBytes
        let server = try serve { request in
            request.path.hasSuffix("/good") ? Self.manifestResponse(manifest, digestHeader: nil)
                : Self.manifestResponse(manifest, digestHeader: Digest.sha256(of: Data("other".utf8)).description)
        }
        let ok = try await client().resolve(ImageReference(parsing: "\(server.host)/a:good"))
        XCTAssertEqual(ok.descriptor.digest, .sha256(of: manifest))
        do {
            _ = try await client().resolve(ImageReference(parsing: "\(server.host)/a:bad"))
            XCTFail("expected an error")
        } catch let error as RegistryError {
            XCTAssertEqual(error.kind, .digestMismatch)
        }
    }

    func testManifestByDigestWithWrongBytesIsRejected() async throws {
        let server = try serve { _ in Self.manifestResponse(Data(#"{"schemaVersion":2,"config":{},"layers":[]}"#.utf8), digestHeader: nil) }
        let wanted = Digest.sha256(of: manifestBytes)
        do {
            _ = try await client().resolve(ImageReference(parsing: "\(server.host)/a@\(wanted)"))
            XCTFail("expected an error")
        } catch let error as RegistryError {
            XCTAssertEqual(error.kind, .digestMismatch)
            XCTAssertTrue(error.message.contains(wanted.description))
        }
    }

    func testDroppedConnectionMidBlobResumesWithRange() async throws {
        let blob = blob
        let server = try serve { request in
            guard let range = request.headers["range"] else {
                return .init(status: 200, body: blob, dropAfter: 100_000)
            }
            let start = Int(range.dropFirst("bytes=".count).dropLast())!
            return .init(status: 206, headers: [("Content-Range", "bytes \(start)-\(blob.count - 1)/\(blob.count)")], body: blob.subdata(in: start..<blob.count))
        }
        let descriptor = Descriptor(mediaType: .ociLayerGzip, content: blob)
        var received = Data()
        var chunks = 0
        for try await chunk in VerifyingStream(client().fetchBlob(host: server.host, repository: "a/b", descriptor: descriptor), descriptor: descriptor) {
            received.append(chunk)
            chunks += 1
        }
        XCTAssertEqual(received, blob)
        XCTAssertGreaterThan(chunks, 1, "streamed in chunks")
        let ranges = server.requests.compactMap { $0.headers["range"] }
        XCTAssertEqual(ranges.count, 1)
        XCTAssertEqual(ranges.first.flatMap { Int($0.dropFirst("bytes=".count).dropLast()) }.map { $0 > 0 && $0 <= 100_000 }, true)
    }

    func testResumeFromOffsetAndRegistryIgnoringRange() async throws {
        let blob = blob
        let server = try serve { _ in .init(status: 200, body: blob) }  // ignores Range
        let descriptor = Descriptor(mediaType: .ociLayerGzip, content: blob)
        var received = Data()
        for try await chunk in client().fetchBlob(host: server.host, repository: "a/b", descriptor: descriptor, from: 123_456) {
            received.append(chunk)
        }
        XCTAssertEqual(received, blob.subdata(in: 123_456..<blob.count))
        XCTAssertEqual(server.requests.first?.headers["range"], "bytes=123456-")
    }

    func testBlobStopsAtDeclaredSize() async throws {
        let blob = blob
        let server = try serve { _ in .init(status: 200, body: blob + Data("trailing junk".utf8)) }
        let descriptor = Descriptor(mediaType: .ociLayerGzip, content: blob)
        var received = Data()
        for try await chunk in VerifyingStream(client().fetchBlob(host: server.host, repository: "a", descriptor: descriptor), descriptor: descriptor) {
            received.append(chunk)
        }
        XCTAssertEqual(received, blob)
    }

    func testWrongBlobDigestIsReportedNamingTheBlob() async throws {
        var corrupt = blob
        corrupt[10] ^= 0xFF
        let served = corrupt
        let server = try serve { _ in .init(status: 200, body: served) }
        let descriptor = Descriptor(mediaType: .ociLayerGzip, content: blob)
        do {
            for try await _ in VerifyingStream(client().fetchBlob(host: server.host, repository: "a", descriptor: descriptor), descriptor: descriptor) {}
            XCTFail("expected an error")
        } catch let error as RegistryError {
            XCTAssertEqual(error.kind, .digestMismatch)
            XCTAssertTrue(error.message.contains(descriptor.digest.description), error.message)
        }
    }

    func testMissingBlobIsNotFoundWithRegistryDetails() async throws {
        let server = try serve { _ in .init(status: 404, body: Data(#"{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}"#.utf8)) }
        let descriptor = Descriptor(mediaType: .ociLayerGzip, content: blob)
        do {
            for try await _ in client().fetchBlob(host: server.host, repository: "a", descriptor: descriptor) {}
            XCTFail("expected an error")
        } catch let error as RegistryError {
            XCTAssertEqual(error.kind, .notFound)
            XCTAssertEqual(error.details.first?.code, "BLOB_UNKNOWN")
        }
    }
}
