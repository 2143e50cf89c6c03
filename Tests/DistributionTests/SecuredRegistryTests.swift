import Foundation
import ImageSpec
import XCTest
@testable import Distribution

/// The registry client against a real `docker-registry` secured two ways (issue 3): HTTPS with a
/// self-signed CA found in a `certs.d` folder, and token auth with a token server of our own.
final class SecuredRegistryTests: XCTestCase {
    private var cleanup: [() -> Void] = []

    override func tearDown() {
        cleanup.reversed().forEach { $0() }
        cleanup = []
    }

    func testHTTPSWithCAFromCertsDirectory() async throws {
        let registry = try SecuredRegistry(port: 5058) { dir in
            try SecuredRegistry.makeCertificates(in: dir)
            return "http:\n  addr: 127.0.0.1:5058\n  tls:\n    certificate: \(dir)/server.crt\n    key: \(dir)/server.key\n"
        }
        cleanup.append { registry.stop() }
        let certs = registry.directory + "/certs.d"
        try FileManager.default.createDirectory(atPath: certs + "/" + registry.host, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: registry.directory + "/ca.crt", toPath: certs + "/" + registry.host + "/ca.crt")

        let client = RegistryClient(configuration: .init(transport: RegistryTransport(certsDirectories: [certs])))
        defer { Task { try? await client.shutdown() } }
        XCTAssertEqual(client.configuration.transport.scheme(forHost: registry.host), "https", "a CA for a loopback registry means TLS")
        let repository = "kiln-test/tls"
        let pushed = try await pushImage(client, host: registry.host, repository: repository)
        let resolved = try await client.resolve(ImageReference(parsing: "\(registry.host)/\(repository):v1"))
        XCTAssertEqual(resolved.descriptor.digest, pushed.manifestDigest)

        let strict = RegistryTransport(certsDirectories: [registry.directory + "/none"])
        XCTAssertEqual(strict.scheme(forHost: registry.host), "http", "loopback without a CA stays plain HTTP, as Docker's insecure default")
    }

    func testTokenAuthWithOwnTokenServer() async throws {
        let slot = TokenIssuerSlot()
        let tokenServer = try FakeRegistry { request in
            guard let issuer = slot.value else { return .init(status: 503) }
            return issuer.answer(request)
        }
        cleanup.append { tokenServer.shutdown() }
        let registry = try SecuredRegistry(port: 5057) { dir in
            let key = try SecuredRegistry.makeTokenSigner(in: dir)
            let made = TokenIssuer(key: key, certificate: try SecuredRegistry.derCertificate(dir + "/token.crt"), user: "kiln", password: "t0ken")
            slot.value = made
            return """
            http:
              addr: 127.0.0.1:5057
            auth:
              token:
                realm: http://\(tokenServer.host)/token
                service: \(made.service)
                issuer: \(made.issuer)
                rootcertbundle: \(dir)/token.crt

            """
        }
        cleanup.append { registry.stop() }

        let config = registry.directory + "/docker-config"
        try FileManager.default.createDirectory(atPath: config, withIntermediateDirectories: true)
        let auth = Data("kiln:t0ken".utf8).base64EncodedString()
        try Data(#"{"auths":{"\#(registry.host)":{"auth":"\#(auth)"}}}"#.utf8).write(to: URL(fileURLWithPath: config + "/config.json"))
        let client = RegistryClient(configuration: .init(transport: RegistryTransport(certsDirectories: []),
                                                         credentials: try CredentialStore(environment: ["DOCKER_CONFIG": config, "PATH": ""])))
        defer { Task { try? await client.shutdown() } }
        let repository = "kiln-test/token"
        let pushed = try await pushImage(client, host: registry.host, repository: repository)
        let resolved = try await client.resolve(ImageReference(parsing: "\(registry.host)/\(repository):v1"))
        XCTAssertEqual(resolved.descriptor.digest, pushed.manifestDigest)
        let tokenRequests = tokenServer.requests.filter { $0.path == "/token" }
        XCTAssertFalse(tokenRequests.isEmpty, "the client fetched tokens from the realm")
        XCTAssertTrue(tokenRequests.allSatisfy { $0.query["service"] == ["kiln-test-registry"] })
        XCTAssertLessThan(tokenRequests.count, 6, "tokens are reused until they expire: \(tokenRequests.map(\.uri))")

        // Anonymous: the token grants nothing, so the registry refuses with 401.
        let anonymous = RegistryClient(configuration: .init(transport: RegistryTransport(certsDirectories: [])))
        defer { Task { try? await anonymous.shutdown() } }
        do {
            _ = try await anonymous.resolve(ImageReference(parsing: "\(registry.host)/\(repository):v1"))
            XCTFail("an anonymous pull must be refused")
        } catch let error as RegistryError {
            XCTAssertEqual(error.kind, .unauthorized, "\(error)")
        }
    }
}
