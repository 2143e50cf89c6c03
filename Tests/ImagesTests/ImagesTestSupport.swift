import Distribution
import Foundation
import ImageSpec
import ImageStore
import Images
import TestVectors
import XCTest

/// Runs a shell command with output captured in a temp file, waiting with `waitpid` (not
/// `Foundation.Process`: a registry the command leaves running would keep its pipes open).
@discardableResult
func shell(_ command: String, environment: [String: String] = [:]) -> (status: Int32, output: String) {
    let log = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-images-\(UUID()).log").path
    defer { try? FileManager.default.removeItem(atPath: log) }
    let exports = environment.map { "export \($0.key)='\($0.value)'; " }.joined()
    let argv = ["/bin/sh", "-c", "\(exports)(\(command)) </dev/null >'\(log)' 2>&1"]
    var cArgs = argv.map { strdup($0) } + [nil]
    defer { cArgs.forEach { free($0) } }
    var pid: pid_t = 0
    guard spawnWithDefaultSignals(&pid, "/bin/sh", &cArgs, environ) == 0 else { return (-1, "cannot spawn /bin/sh") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    return (status & 0x7f == 0 ? (status >> 8) & 0xff : -1, output)
}

/// Single-quotes `text` for /bin/sh.
func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }

/// Records every transfer event.
final class RecordingProgress: TransferProgress, @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [TransferEvent] = []
    var events: [TransferEvent] { lock.withLock { storage } }
    func report(_ event: TransferEvent) { lock.withLock { storage.append(event) } }

    func outcomes() -> [Digest: TransferOutcome] {
        var result: [Digest: TransferOutcome] = [:]
        for case .finished(let digest, let outcome) in events { result[digest] = outcome }
        return result
    }
}

/// Registry ports of this suite (5101-5109), started once and stopped at the end.
enum TestRegistry {
    static var tool: String { Vectors.shared.appendingPathComponent("tools/local-registry").path }
    nonisolated(unsafe) static var started: [Int: String] = [:]

    /// Starts (and seeds, when `seed`) a registry on `port`; nil when it cannot run, or the reason.
    static func start(_ port: Int, htpasswd: String? = nil, seed: Bool = true) -> String? {
        if let reason = started[port] { return reason.isEmpty ? nil : reason }
        var command = "\(quoted(tool)) start \(port)"
        if let htpasswd { command += " --htpasswd \(quoted(htpasswd))" }
        var result = shell(command)
        if result.status == 0, seed { result = shell("\(quoted(tool)) seed \(port)") }
        let reason = result.status == 0 ? "" : "local registry on \(port) unavailable: \(result.output)"
        started[port] = reason
        return reason.isEmpty ? nil : reason
    }

    static func stopAll() {
        for port in started.keys { shell("\(quoted(tool)) stop \(port)") }
        started = [:]
    }
}

class ImagesTestCase: XCTestCase {
    var root: URL!
    var clients: [RegistryClient] = []

    override func setUp() async throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-images-\(UUID())")
    }

    override func tearDown() async throws {
        for client in clients { try? await client.shutdown() }
        clients = []
        if let root { try? FileManager.default.removeItem(at: root) }
    }

    override class func tearDown() {
        TestRegistry.stopAll()
        super.tearDown()
    }

    func requireRegistry(_ port: Int, htpasswd: String? = nil, seed: Bool = true) throws {
        if let reason = TestRegistry.start(port, htpasswd: htpasswd, seed: seed) { throw XCTSkip(reason) }
    }

    /// A service over a fresh store under `root/name`.
    func makeService(_ name: String = "store", progress: any TransferProgress = SilentProgress(), credentials: CredentialStore? = nil) throws -> ImageService {
        let store = try ContentStore(root: root.appendingPathComponent(name))
        let client = RegistryClient(configuration: .init(transport: RegistryTransport(certsDirectories: []), credentials: credentials))
        clients.append(client)
        return ImageService(store: store, registry: client, progress: progress)
    }

    var busyboxManifestDigest: Digest {
        get throws {
            let index = try CanonicalJSON.decode(Index.self, from: Data(contentsOf: Vectors.shared.appendingPathComponent("fixtures/busybox/index.json")))
            return try XCTUnwrap(index.manifests.first).digest
        }
    }

    /// Adds to `service`'s store an image made of `base` plus one new gzip layer holding `file`,
    /// tags it `reference` and returns it.
    func makeDerivedImage(_ service: ImageService, base: LocalImage, reference: ImageReference, file: String = "hello.txt", content: String = "hello \(UUID())\n", size: Int = 0) async throws -> LocalImage {
        let work = root.appendingPathComponent("layer-\(UUID())")
        try FileManager.default.createDirectory(at: work.appendingPathComponent("tree"), withIntermediateDirectories: true)
        try Data(content.utf8).write(to: work.appendingPathComponent("tree/\(file)"))
        if size > 0 {
            XCTAssertEqual(shell("head -c \(size) /dev/urandom > \(quoted(work.appendingPathComponent("tree/big").path))").status, 0)
        }
        let tarPath = work.appendingPathComponent("layer.tar").path
        XCTAssertEqual(shell("tar -C \(quoted(work.appendingPathComponent("tree").path)) -cf \(quoted(tarPath)) . && gzip -kn \(quoted(tarPath))").status, 0)
        let tar = try Data(contentsOf: URL(fileURLWithPath: tarPath))
        let gz = try Data(contentsOf: URL(fileURLWithPath: tarPath + ".gz"))
        let layer = try service.store.put(bytes: gz, mediaType: .ociLayerGzip)
        var config = base.config
        config.rootfs.diffIDs.append(.sha256(of: tar))
        config.history.append(History(created: Timestamp(Date()), createdBy: "COPY \(file) / # buildkit", comment: "buildkit.dockerfile.v0"))
        let configDescriptor = try service.store.put(bytes: CanonicalJSON.encode(config), mediaType: .ociConfig)
        let manifest = Manifest(config: configDescriptor, layers: base.manifest.layers + [layer])
        let manifestDescriptor = try service.store.put(bytes: CanonicalJSON.encode(manifest), mediaType: .ociManifest)
        try await service.store.tag(reference, manifestDescriptor)
        return LocalImage(references: [reference], manifestDescriptor: manifestDescriptor, manifest: manifest, configDescriptor: configDescriptor, config: config)
    }
}
