import Foundation
import ImageSpec
import XCTest
@testable import Distribution
#if canImport(Glibc)
import Glibc
#endif

/// Issue 14: requests a registry makes kiln send. A 401 naming a `http+unix://` realm made kiln connect to a
/// local unix socket and hand it the registry's credentials; a blob redirect to an unreachable host was tried
/// 16 times. Every server here listens on 127.0.0.1.
final class RegistryDrivenRequestTests: XCTestCase {
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

    func client(credentials: CredentialStore? = nil, insecure: Set<String> = []) -> RegistryClient {
        let retry = RetryPolicy(maxAttempts: 3, initialDelay: .milliseconds(10), maxDelay: .milliseconds(50))
        let client = RegistryClient(configuration: .init(transport: RegistryTransport(insecureHosts: insecure, certsDirectories: []),
                                                         retry: retry, credentials: credentials))
        clients.append(client)
        return client
    }

    /// A registry answering every request with a Bearer challenge naming `realm`.
    func challenging(realm: String) throws -> FakeRegistry {
        try serve { _ in .init(status: 401, headers: [("WWW-Authenticate", #"Bearer realm="\#(realm)",service="s""#)]) }
    }

    func testAUnixSocketRealmIsRefusedAndNothingIsSentToIt() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-realm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let socketPath = directory.appendingPathComponent("token.sock").path
        let listener = try UnixListener(path: socketPath)
        defer { listener.close() }
        let encoded = socketPath.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? socketPath
        let server = try challenging(realm: "http+unix://\(encoded)/token")
        let config = CredentialStore.ConfigFile(auths: [server.host: .init(username: "alice", password: "secret")])
        do {
            _ = try await client(credentials: CredentialStore(config: config)).resolve(ImageReference(parsing: "\(server.host)/a:b"))
            XCTFail("expected the realm to be refused")
        } catch let error as RegistryError {
            XCTAssertEqual(error.kind, .protocolViolation)
            XCTAssertTrue(error.message.contains("only http and https token realms"), error.message)
            XCTAssertTrue(error.message.contains("http+unix"), error.message)
        }
        XCTAssertEqual(listener.connections, 0, "kiln connected to the realm's unix socket")
    }

    func testFileAndOtherSchemesAreRefused() async throws {
        for realm in ["file:///etc/passwd", "ftp://127.0.0.1/token", "unix:///run/docker.sock"] {
            let server = try challenging(realm: realm)
            do {
                _ = try await client().resolve(ImageReference(parsing: "\(server.host)/a:b"))
                XCTFail("expected \(realm) to be refused")
            } catch let error as RegistryError {
                XCTAssertEqual(error.kind, .protocolViolation, realm)
                XCTAssertTrue(error.message.contains("only http and https"), error.message)
            }
        }
    }

    func testAPlainHTTPRealmForATLSRegistryIsRefused() throws {
        let client = client()
        let url = URL(string: "http://auth.example.test/token")!
        XCTAssertThrowsError(try client.checkRealm(url, realm: url.absoluteString, host: "registry.example.test")) { error in
            XCTAssertTrue("\(error)".contains("clear text"), "\(error)")
        }
        XCTAssertNoThrow(try client.checkRealm(URL(string: "https://auth.example.test/token")!, realm: "https://auth.example.test/token",
                                               host: "registry.example.test"))
        XCTAssertNoThrow(try client.checkRealm(URL(string: "http://127.0.0.1:5001/token")!, realm: "http://127.0.0.1:5001/token",
                                               host: "registry.example.test"), "a token service on this machine")
        let insecure = self.client(insecure: ["auth.example.test"])
        XCTAssertNoThrow(try insecure.checkRealm(url, realm: url.absoluteString, host: "registry.example.test"))
    }

    func testTheRealmGetsTheRegistrysCredentialsOnlyAsDockerDoes() async throws {
        // The token service on another port (another authority) still gets the registry's stored
        // credentials (Docker's rule), and never those stored for its own host.
        let tokens = try serve { request in
            let expected = "Basic " + Data("alice:secret".utf8).base64EncodedString()
            guard request.headers["authorization"] == expected else { return .init(status: 401) }
            return .init(status: 200, body: Data(#"{"token":"tok"}"#.utf8))
        }
        let manifest = Data(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#.utf8)
        let realm = "http://127.0.0.1:\(tokens.port)/token"
        let registry = try serve { request in
            guard request.headers["authorization"] == "Bearer tok" else {
                return .init(status: 401, headers: [("WWW-Authenticate", #"Bearer realm="\#(realm)",service="s""#)])
            }
            return .init(status: 200, headers: [("Content-Type", "application/vnd.oci.image.manifest.v1+json")], body: manifest)
        }
        let config = CredentialStore.ConfigFile(auths: [registry.host: .init(username: "alice", password: "secret"),
                                                        tokens.host: .init(username: "mallory", password: "other")])
        let result = try await client(credentials: CredentialStore(config: config)).resolve(ImageReference(parsing: "\(registry.host)/a:b"))
        XCTAssertEqual(result.bytes, manifest)
        XCTAssertEqual(tokens.requests.count, 1)
    }

    func testABlobRedirectToAnUnreachableHostFailsAfterBoundedAttempts() async throws {
        // A port nobody listens on: bind one, note it, close it.
        let unreachable = try FakeRegistry(handler: { _ in .init(status: 200) })
        let deadPort = unreachable.port
        unreachable.shutdown()
        let blob = Data("layer bytes".utf8)
        let server = try serve { _ in
            .init(status: 307, headers: [("Location", "http://127.0.0.1:\(deadPort)/storage/blob")])
        }
        let descriptor = Descriptor(mediaType: .ociLayerGzip, content: blob)
        do {
            for try await _ in client().fetchBlob(host: server.host, repository: "a/b", descriptor: descriptor) {}
            XCTFail("expected an error")
        } catch let error as RegistryError {
            XCTAssertEqual(error.kind, .transport)
            XCTAssertTrue(error.message.contains(descriptor.digest.description), error.message)
            XCTAssertTrue(error.message.contains("3 attempts"), error.message)
        }
        let attempts = server.requests.filter { $0.path.hasSuffix("/blobs/" + descriptor.digest.description) }.count
        XCTAssertEqual(attempts, 3, "one try per attempt of the retry policy, not policy × policy")
    }
}

/// A unix socket that accepts and counts connections (and closes them at once).
final class UnixListener: @unchecked Sendable {
    let fd: Int32
    private let lock = NSLock()
    private var count = 0

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8.prefix(raw.count - 1))
            raw.copyBytes(from: bytes)
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(fd, 4) == 0 else { throw XCTSkip("cannot listen on \(path): \(errno)") }
        let listener = fd
        Thread { [self] in
            while true {
                let connection = accept(listener, nil, nil)
                if connection < 0 { if errno == EINTR { continue } else { return } }
                lock.lock(); count += 1; lock.unlock()
                Glibc.close(connection)
            }
        }.start()
    }

    var connections: Int { lock.lock(); defer { lock.unlock() }; return count }

    func close() {
        shutdown(fd, Int32(SHUT_RDWR))
        Glibc.close(fd)
    }
}
