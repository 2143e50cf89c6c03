import Builder
import Distribution
import Foundation
import ImageArchive
import ImageSpec
import ImageStore
import LayerArchive
import Images
import TestVectors
import XCTest

/// A scratch store, a context directory and a way to build in them.
class BuilderTestCase: XCTestCase {
    var root: URL!
    var context: URL!
    var service: ImageService!
    var registry: RegistryClient!

    override func setUp() async throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-builder-\(UUID().uuidString)")
        context = root.appendingPathComponent("context")
        try FileManager.default.createDirectory(at: context, withIntermediateDirectories: true)
        let store = try ContentStore(root: root.appendingPathComponent("store"))
        registry = RegistryClient(configuration: .init(credentials: nil))
        service = ImageService(store: store, registry: registry, progress: SilentProgress())
    }

    override func tearDown() async throws {
        try? await registry.shutdown()
        if let root { try? FileManager.default.removeItem(at: root) }
    }

    func write(_ name: String, _ text: String) throws {
        let url = context.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    /// Builds `dockerfile` with the test context; returns the result and the progress lines.
    func build(_ dockerfile: String, noCache: Bool = false) async throws -> (BuildResult, [String]) {
        var options = BuildOptions(dockerfileText: dockerfile, contextDirectory: context.path)
        options.noCache = noCache
        let progress = BuildProgress(mode: .quiet)
        let result = try await Builder(options: options, images: service, progress: progress).build()
        return (result, progress.lines)
    }

    /// Skips unless root with runc and overlayfs.
    func requireContainers() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root (overlay mounts, runc)") }
        let hasRunc = ["/usr/sbin/runc", "/usr/bin/runc", "/usr/local/bin/runc", "/usr/local/sbin/runc"]
            .contains { FileManager.default.isExecutableFile(atPath: $0) }
        guard hasRunc else { throw XCTSkip("runc is not installed (apt-get install -y runc)") }
    }

    /// Loads the busybox fixture into the store; returns a name FROM can use.
    func loadBusybox() async throws -> String {
        let fixture = Vectors.shared.appendingPathComponent("fixtures/busybox").path
        guard FileManager.default.fileExists(atPath: fixture) else { throw XCTSkip("no busybox fixture at \(fixture)") }
        let images = try await ImageLoader(store: service.store).load(from: fixture)
        guard let image = images.first else { throw XCTSkip("the busybox fixture holds no image") }
        let reference = try ImageReference(parsing: "kiln-test/busybox:latest")
        try await service.store.tag(reference, image.manifestDescriptor)
        return reference.description
    }

    /// The content of `path` in the built image (applying its layers in a temporary directory).
    func file(_ path: String, in result: BuildResult) throws -> String? {
        try fileData(path, in: result).flatMap { String(data: $0, encoding: .utf8) }
    }

    /// The bytes of `path` in the built image (applying its layers in a temporary directory).
    func fileData(_ path: String, in result: BuildResult) throws -> Data? {
        let dir = root.appendingPathComponent("unpack-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for layer in result.manifest.layers {
            _ = try LayerApplier(target: dir.path).apply(blobFile: try service.store.open(layer.digest).path)
        }
        return FileManager.default.contents(atPath: dir.appendingPathComponent(path).path)
    }
}
