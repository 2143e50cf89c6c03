import Builder
import Foundation
import ImageSpec
import Images
import LayerArchive
import XCTest

/// What a build writes to the store: uncompressed layers (blob digest = diff ID, nothing
/// compressed on the build path), nothing at all for a fully cached rebuild, and the `--trace` file.
final class BuildStoreIOTests: BuilderTestCase {
    private func traced(_ dockerfile: String, trace: String? = nil) async throws -> BuildResult {
        var options = BuildOptions(dockerfileText: dockerfile, contextDirectory: context.path)
        options.tracePath = trace
        return try await Builder(options: options, images: service, progress: BuildProgress(mode: .quiet)).build()
    }

    /// Every file under the store with its size and modification time (nanoseconds).
    private func storeListing() throws -> [String: String] {
        let rootPath = service.store.location.root.path
        var listing: [String: String] = [:]
        let walker = FileManager.default.enumerator(atPath: rootPath)!
        while let relative = walker.nextObject() as? String {
            var info = stat()
            guard lstat(rootPath + "/" + relative, &info) == 0 else { continue }
            listing[relative] = "\(info.st_mode) \(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
        }
        return listing
    }

    func testBuiltLayersAreStoredUncompressedWithTheDiffIDAsDigest() async throws {
        try write("a.txt", String(repeating: "compressible ", count: 10_000))
        let result = try await traced("FROM scratch\nCOPY a.txt /a.txt\n")
        XCTAssertEqual(result.manifest.layers.count, 1)
        let layer = result.manifest.layers[0]
        XCTAssertEqual(layer.mediaType, .ociLayer)
        XCTAssertEqual(layer.digest, result.config.rootfs.diffIDs[0])
        let bytes = try Data(contentsOf: try service.store.open(layer.digest))
        XCTAssertEqual(Int64(bytes.count), layer.size)
        XCTAssertEqual(CompressionSniffer.detect(bytes.prefix(6)), .none)
        XCTAssertEqual(Digest.sha256(of: bytes), layer.digest)
        XCTAssertEqual(try file("a.txt", in: result)?.count, 130_000)
    }

    func testFullyCachedRebuildWritesNothing() async throws {
        try write("a.txt", "a\n")
        try write("dir/b.txt", "b\n")
        let dockerfile = "FROM scratch\nCOPY a.txt /a.txt\nCOPY dir /dir\nENV X=1\n"
        let first = try await traced(dockerfile)
        let before = try storeListing()
        // Touching a context file (same content) must not change anything either.
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(5)],
                                              ofItemAtPath: context.appendingPathComponent("a.txt").path)
        let second = try await traced(dockerfile)
        usleep(250_000)  // the context's last change ages past the fingerprint's settle window (ContextScan)
        let third = try await traced(dockerfile)
        XCTAssertEqual(first.id, second.id)
        XCTAssertEqual(first.manifestDescriptor, second.manifestDescriptor)
        XCTAssertEqual(second.manifestDescriptor, third.manifestDescriptor)
        let after = try storeListing()
        let changed = Set(before.keys).union(after.keys).filter { before[$0] != after[$0] && !$0.hasPrefix("kiln/tmp") }
        // The touched file's checksum record is rewritten once (its stamp changed: the file is read
        // again), in its folder, and the COPY steps' memos under the new context fingerprint; nothing else.
        let expected = changed.filter { $0.hasPrefix("kiln/checksums.v2.d") || $0 == "kiln" || $0 == "kiln/cache" || $0.hasPrefix("kiln/cache/plans") }
        XCTAssertEqual(changed.subtracting(expected), [], "changed: \(changed.sorted())")
        let listingAfterThird = try storeListing()
        _ = try await traced(dockerfile)
        XCTAssertEqual(try storeListing().filter { !$0.key.hasPrefix("kiln/tmp") },
                       listingAfterThird.filter { !$0.key.hasPrefix("kiln/tmp") })
    }

    func testChangedInstructionMakesANewImage() async throws {
        try write("a.txt", "a\n")
        let first = try await traced("FROM scratch\nCOPY a.txt /a.txt\nENV X=1\n")
        let second = try await traced("FROM scratch\nCOPY a.txt /a.txt\nENV X=2\n")
        XCTAssertNotEqual(first.id, second.id)
        XCTAssertEqual(first.manifest.layers, second.manifest.layers)
    }

    func testTraceFileListsPhasesOfEachStep() async throws {
        try write("a.txt", "a\n")
        let trace = root.appendingPathComponent("trace.json").path
        _ = try await traced("FROM scratch\nCOPY a.txt /a.txt\n", trace: trace)
        let events = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: trace))) as? [[String: Any]])
        let names = Set(events.compactMap { $0["name"] as? String })
        XCTAssertTrue(names.isSuperset(of: ["cache-lookup", "plan", "commit", "snapshot", "image"]), "\(names)")
        for event in events {
            XCTAssertEqual(event["ph"] as? String, "X")
            XCTAssertNotNil(event["ts"] as? Int)
            XCTAssertNotNil(event["dur"] as? Int)
            XCTAssertNotNil((event["args"] as? [String: Any])?["step"] as? String)
        }
        let commit = events.first { $0["name"] as? String == "commit" }
        XCTAssertEqual((commit?["args"] as? [String: Any])?["step"] as? String, "[1/1] COPY a.txt /a.txt")  // BuildKit counts only steps that make a vertex
    }

    func testRunLayerIsUncompressedAndNoOpRebuildRunsNothing() async throws {
        try requireContainers()
        _ = try await loadBusybox()
        let dockerfile = "FROM kiln-test/busybox:latest\nRUN echo one > /one\nRUN echo two > /two\n"
        let first = try await traced(dockerfile)
        XCTAssertEqual(first.manifest.layers.last?.mediaType, .ociLayer)
        XCTAssertEqual(try file("two", in: first), "two\n")
        let before = try storeListing()
        let second = try await traced(dockerfile)
        XCTAssertEqual(first.manifestDescriptor, second.manifestDescriptor)
        XCTAssertEqual(try storeListing().filter { !$0.key.hasPrefix("kiln/tmp") }, before.filter { !$0.key.hasPrefix("kiln/tmp") })
    }
}
