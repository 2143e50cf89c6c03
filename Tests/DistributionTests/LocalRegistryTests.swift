import Foundation
import ImageSpec
import TestVectors
import XCTest
@testable import Distribution

/// Against a real registry (Debian's `docker-registry`) on 127.0.0.1, started with
/// `shared/tools/local-registry`: 5055 anonymous (seeded with busybox), 5056 with htpasswd Basic auth.
final class LocalRegistryTests: XCTestCase {
    static let openHost = "127.0.0.1:5055"
    static let basicHost = "127.0.0.1:5056"
    nonisolated(unsafe) static var unavailable: String?

    static var tool: String { Vectors.shared.appendingPathComponent("tools/local-registry").path }

    /// Runs the tool with output in a temp file and waits with `waitpid`. Not `Foundation.Process`:
    /// the registry the tool leaves running inherits the descriptor Process watches for the child's
    /// exit, so `waitUntilExit` would never return.
    @discardableResult
    static func run(_ arguments: [String]) -> (status: Int32, output: String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-local-registry-\(UUID()).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let quoted = ([tool] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let argv = ["/bin/sh", "-c", "\(quoted) </dev/null >'\(log)' 2>&1"]
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        guard spawnWithDefaultSignals(&pid, "/bin/sh", &cArgs, environ) == 0 else { return (-1, "cannot spawn /bin/sh") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        let exited = status & 0x7f == 0
        return (exited ? (status >> 8) & 0xff : -1, output)
    }

    override class func setUp() {
        super.setUp()
        let start = run(["start", "5055"])
        guard start.status == 0 else {
            let installed = FileManager.default.isExecutableFile(atPath: "/usr/bin/docker-registry")
            unavailable = installed ? nil : "docker-registry cannot be installed: \(start.output)"
            if installed { unavailable = "FAIL: local-registry start failed: \(start.output)" }
            return
        }
        let seed = run(["seed", "5055"])
        if seed.status != 0 { unavailable = "FAIL: local-registry seed failed: \(seed.output)"; return }
        let basic = run(["start", "5056", "--htpasswd", "kiln:s3cret"])
        if basic.status != 0 { unavailable = "FAIL: local-registry start 5056 failed: \(basic.output)" }
    }

    override class func tearDown() {
        run(["stop", "5055"])
        run(["stop", "5056"])
        super.tearDown()
    }

    var client: RegistryClient!

    override func setUp() async throws {
        if let reason = Self.unavailable {
            if reason.hasPrefix("FAIL") { XCTFail(reason) }
            throw XCTSkip(reason)
        }
        client = makeClient()
    }

    override func tearDown() async throws {
        try await client?.shutdown()
    }

    func makeClient(credentials: CredentialStore? = nil, chunkedAbove: Int64 = 64 << 20, chunkSize: Int = 16 << 20) -> RegistryClient {
        RegistryClient(configuration: .init(transport: RegistryTransport(certsDirectories: []), credentials: credentials,
                                            chunkedUploadThreshold: chunkedAbove, chunkSize: chunkSize))
    }

    func collect(_ stream: some AsyncSequence<Data, any Error>) async throws -> Data {
        var data = Data()
        for try await chunk in stream { data.append(chunk) }
        return data
    }

    func fixtureBlob(_ digest: Digest) throws -> Data {
        try Data(contentsOf: Vectors.shared.appendingPathComponent("fixtures/busybox/blobs/sha256/\(digest.hex)"))
    }

    func testPullBusyboxManifestConfigAndLayers() async throws {
        try await client.ping(host: Self.openHost)
        let reference = try ImageReference(parsing: "\(Self.openHost)/busybox:latest")
        let index = try CanonicalJSON.decode(Index.self, from: Data(contentsOf: Vectors.shared.appendingPathComponent("fixtures/busybox/index.json")))
        let expected = try XCTUnwrap(index.manifests.first)

        let (descriptor, bytes) = try await client.manifest(for: reference, platform: Platform(parsing: "linux/amd64"))
        XCTAssertEqual(descriptor.digest, expected.digest)
        XCTAssertEqual(descriptor.size, expected.size)
        XCTAssertEqual(bytes, try fixtureBlob(expected.digest))

        let byDigest = try await client.resolve(reference.nameOnly.withDigest(expected.digest))
        XCTAssertEqual(byDigest.bytes, bytes)

        let manifest = try CanonicalJSON.decode(Manifest.self, from: bytes)
        for blob in [manifest.config] + manifest.layers {
            let data = try await collect(VerifyingStream(client.fetchBlob(host: Self.openHost, repository: "busybox", descriptor: blob), descriptor: blob))
            XCTAssertEqual(Digest.sha256(of: data), blob.digest)
            XCTAssertEqual(data, try fixtureBlob(blob.digest))
        }
        // Resume from the middle of the layer with a Range request.
        let layer = try XCTUnwrap(manifest.layers.first)
        let tail = try await collect(client.fetchBlob(host: Self.openHost, repository: "busybox", descriptor: layer, from: layer.size / 2))
        XCTAssertEqual(tail, try fixtureBlob(layer.digest).suffix(from: Int(layer.size / 2)))
    }

    func testPushMonolithicAndReadBack() async throws {
        let repository = "kiln-test/push-\(UUID().uuidString.lowercased())"
        let pushed = try await pushImage(client, host: Self.openHost, repository: repository)
        let exists = try await client.blobExists(host: Self.openHost, repository: repository, digest: pushed.layer.digest)
        XCTAssertTrue(exists)
        let again = try await client.pushBlob(host: Self.openHost, repository: repository, descriptor: pushed.layer, source: RegistryClient.source(pushed.layerBytes))
        XCTAssertEqual(again, .existed)

        let resolved = try await client.resolve(ImageReference(parsing: "\(Self.openHost)/\(repository):v1"))
        XCTAssertEqual(resolved.bytes, pushed.manifestBytes)
        XCTAssertEqual(resolved.descriptor.digest, pushed.manifestDigest)
        XCTAssertEqual(resolved.descriptor.mediaType, .ociManifest)
        let layer = try await collect(client.fetchBlob(host: Self.openHost, repository: repository, descriptor: pushed.layer))
        XCTAssertEqual(layer, pushed.layerBytes)
    }

    func testChunkedUpload() async throws {
        let chunked = makeClient(chunkedAbove: 50_000, chunkSize: 64 << 10)
        defer { Task { try? await chunked.shutdown() } }
        let repository = "kiln-test/chunked-\(UUID().uuidString.lowercased())"
        let pushed = try await pushImage(chunked, host: Self.openHost, repository: repository, layerSize: 300_001)
        let layer = try await collect(VerifyingStream(chunked.fetchBlob(host: Self.openHost, repository: repository, descriptor: pushed.layer), descriptor: pushed.layer))
        XCTAssertEqual(layer, pushed.layerBytes)
    }

    func testCrossRepositoryMount() async throws {
        let source = "kiln-test/mount-src-\(UUID().uuidString.lowercased())"
        let target = "kiln-test/mount-dst-\(UUID().uuidString.lowercased())"
        let pushed = try await pushImage(client, host: Self.openHost, repository: source)
        let outcome = try await client.pushBlob(host: Self.openHost, repository: target, descriptor: pushed.layer, mountFrom: source,
                                                source: { throw RegistryError(.configuration, "a mount must not read the bytes") })
        XCTAssertEqual(outcome, .mounted)
        let exists = try await client.blobExists(host: Self.openHost, repository: target, digest: pushed.layer.digest)
        XCTAssertTrue(exists)

        // A mount from a repository that lacks the blob falls back to an upload.
        let fresh = Data("not anywhere yet \(UUID())".utf8)
        let descriptor = Descriptor(mediaType: .ociLayer, content: fresh)
        let fallback = try await client.pushBlob(host: Self.openHost, repository: target, descriptor: descriptor, mountFrom: source, source: RegistryClient.source(fresh))
        XCTAssertEqual(fallback, .uploaded)
    }

    func testBasicAuthWithDockerConfigCredentials() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-dockercfg-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let auth = Data("kiln:s3cret".utf8).base64EncodedString()
        try Data(#"{"auths":{"\#(Self.basicHost)":{"auth":"\#(auth)"}}}"#.utf8).write(to: URL(fileURLWithPath: dir + "/config.json"))

        let anonymous = makeClient()
        defer { Task { try? await anonymous.shutdown() } }
        do {
            try await anonymous.ping(host: Self.basicHost)
            XCTFail("expected an error")
        } catch let error as RegistryError {
            XCTAssertEqual(error.kind, .unauthorized)
        }

        let authed = makeClient(credentials: try CredentialStore(environment: ["DOCKER_CONFIG": dir, "PATH": ""]))
        defer { Task { try? await authed.shutdown() } }
        try await authed.ping(host: Self.basicHost)
        let repository = "kiln-test/basic-\(UUID().uuidString.lowercased())"
        let pushed = try await pushImage(authed, host: Self.basicHost, repository: repository)
        let resolved = try await authed.resolve(ImageReference(parsing: "\(Self.basicHost)/\(repository):v1"))
        XCTAssertEqual(resolved.descriptor.digest, pushed.manifestDigest)

        try Data(#"{"auths":{"\#(Self.basicHost)":{"username":"kiln","password":"wrong"}}}"#.utf8).write(to: URL(fileURLWithPath: dir + "/config.json"))
        let wrong = makeClient(credentials: try CredentialStore(environment: ["DOCKER_CONFIG": dir, "PATH": ""]))
        defer { Task { try? await wrong.shutdown() } }
        do {
            try await wrong.ping(host: Self.basicHost)
            XCTFail("expected an error")
        } catch let error as RegistryError {
            XCTAssertEqual(error.kind, .unauthorized)
            XCTAssertEqual(error.statusCode, 401)
        }
    }
}
