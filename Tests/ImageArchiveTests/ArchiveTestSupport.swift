import Foundation
import ImageArchive
import ImageSpec
import ImageStore
import LayerArchive
import TestVectors
import XCTest

/// Shared helpers: temp folders, stores, the busybox fixture, hand-made tars, external tools.
class ArchiveTestCase: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-archive-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    func makeStore(_ name: String) throws -> ContentStore {
        try ContentStore(root: scratch.appendingPathComponent(name))
    }

    static let busyboxFixture = Vectors.shared.appendingPathComponent("fixtures/busybox").path
    static let busyboxRef = try! ImageReference(parsing: "busybox:latest")

    /// A store with the busybox fixture loaded and tagged `busybox:latest`.
    func storeWithBusybox(_ name: String = "a") async throws -> (ContentStore, ArchiveImage) {
        let store = try makeStore(name)
        let images = try await ImageLoader(store: store).load(from: Self.busyboxFixture)
        XCTAssertEqual(images.count, 1)
        try await store.tag(Self.busyboxRef, images[0].manifestDescriptor)
        return (store, ArchiveImage(manifestDescriptor: images[0].manifestDescriptor, references: [Self.busyboxRef]))
    }

    func path(_ name: String) -> String { scratch.appendingPathComponent(name).path }

    /// A tar in memory from (name, content) pairs; a nil content makes a folder.
    static func tar(_ entries: [(String, [UInt8]?)], symlinks: [(String, String)] = []) throws -> [UInt8] {
        var writer = TarWriter([UInt8]())
        for (name, content) in entries {
            if let content {
                try writer.append(TarHeader(path: name, type: .regular, mode: 0o644), content: content)
            } else {
                try writer.append(TarHeader(path: name, type: .directory, mode: 0o755))
            }
        }
        for (name, target) in symlinks {
            try writer.append(TarHeader(path: name, type: .symlink, mode: 0o777, linkName: target))
        }
        try writer.finish()
        return writer.sink
    }

    /// A tiny rootfs layer (uncompressed tar) with one file.
    static func layerTar(_ file: String = "hello.txt", _ text: String = "hello\n") throws -> [UInt8] {
        try tar([("etc/", nil), (file, Array(text.utf8))])
    }

    /// A minimal image config for the given layers.
    static func config(diffIDs: [Digest]) throws -> Data {
        let config = ImageConfig(platform: try Platform(os: "linux", architecture: "amd64"),
                                 config: ContainerConfig(cmd: ["/bin/sh"]), rootfs: RootFS(diffIDs: diffIDs),
                                 history: [History(createdBy: "hand made")], created: Timestamp(secondsSinceEpoch: 1_700_000_000))
        return try CanonicalJSON.encode(config)
    }

    func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let file = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return file
    }

    /// Runs a program, returning its status and combined output; nil when it is not installed.
    @discardableResult
    func runTool(_ arguments: [String]) throws -> (Int32, String)? {
        // posix_spawn + waitpid (runCapturing): Foundation's Process can miss a child's exit under XCTest.
        guard try runCapturing("/usr/bin/which", [arguments[0]]).status == 0 else { return nil }
        let result = try runCapturing("/usr/bin/env", arguments)
        return (result.status, String(decoding: result.stdout + result.stderr, as: UTF8.self))
    }

    /// The names in a tar file.
    static func tarNames(_ file: String) throws -> [String] {
        var reader = try TarReader(detectingCompressionOf: file)
        var names: [String] = []
        while let header = try reader.next() { names.append(header.path) }
        return names
    }
}
