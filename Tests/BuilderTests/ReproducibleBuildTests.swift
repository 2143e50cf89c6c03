import Builder
import Foundation
import ImageArchive
import ImageSpec
import ImageStore
import Images
import LayerArchive
import LayerVariants
import TestVectors
import XCTest

/// `SOURCE_DATE_EPOCH`. Expectations from BuildKit's docs/build-repro.md ("SOURCE_DATE_EPOCH"):
/// the build arg sets the image config's `created` and the history `created` times; with
/// `rewrite-timestamp=true` the files in the layers are clamped to it too (kiln always clamps the
/// layers it writes, issue 5); Buildx (>= 0.10) takes the value from the environment when no
/// build arg is given. Clamping follows reproducible-builds.org's spec: later times become the epoch.
final class ReproducibleBuildTests: BuilderTestCase {
    let epoch: Int64 = 1_700_000_000  // 2023-11-14T22:13:20Z

    private func build(_ dockerfile: String, in service: ImageService, buildArgs: [String: String] = [:],
                       noCache: Bool = false) async throws -> (BuildResult, [String]) {
        var options = BuildOptions(dockerfileText: dockerfile, contextDirectory: context.path)
        options.buildArgs = buildArgs
        options.noCache = noCache
        let progress = BuildProgress(mode: .quiet)
        let result = try await Builder(options: options, images: service, progress: progress).build()
        return (result, progress.lines)
    }

    /// A second, empty store (another machine), with the busybox fixture loaded under the same name.
    private func otherService() async throws -> ImageService {
        let store = try ContentStore(root: root.appendingPathComponent("store-2"))
        let other = ImageService(store: store, registry: registry, progress: SilentProgress())
        let images = try await ImageLoader(store: store).load(from: Vectors.shared.appendingPathComponent("fixtures/busybox").path)
        try await store.tag(try ImageReference(parsing: "kiln-test/busybox:latest"), images[0].manifestDescriptor)
        return other
    }

    /// Every entry's mtime in the image's layers added by the build (after the base's `baseLayers`).
    private func layerTimes(_ result: BuildResult, in service: ImageService, skipping baseLayers: Int) throws -> [String: Int64] {
        var times: [String: Int64] = [:]
        for layer in result.manifest.layers.dropFirst(baseLayers) {
            var reader = try TarReader(detectingCompressionOf: try service.store.open(layer.digest).path)
            while let header = try reader.next() { times[header.path] = header.modificationTime.seconds }
        }
        return times
    }

    private func touchContext(_ date: Date) throws {
        for name in ["a.txt", "dir/b.txt", "dir"] {
            try FileManager.default.setAttributes([.modificationDate: date], ofItemAtPath: context.appendingPathComponent(name).path)
        }
    }

    private var dockerfile: String {
        """
        FROM kiln-test/busybox:latest
        COPY a.txt /a.txt
        COPY dir /dir
        RUN mkdir -p /made/sub && echo made > /made/sub/f && ln -s f /made/sub/link && touch /a.txt
        ENV MODE=repro
        CMD ["sh"]
        """
    }

    func testSameInputsAtAnotherTimeInAnotherStoreGiveTheSameDigest() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        let baseLayers = try await service.localImage(base)!.manifest.layers.count
        try write("a.txt", "a\n")
        try write("dir/b.txt", "b\n")
        try touchContext(Date())
        let args = ["SOURCE_DATE_EPOCH": "\(epoch)"]
        let (first, _) = try await build(dockerfile, in: service, buildArgs: args)

        // The clock moves on; the context files get new mtimes; another store builds.
        try await Task.sleep(nanoseconds: 1_500_000_000)
        try touchContext(Date())
        let other = try await otherService()
        let (second, _) = try await build(dockerfile, in: other, buildArgs: args)

        XCTAssertEqual(first.manifestDescriptor.digest, second.manifestDescriptor.digest)
        XCTAssertEqual(first.id, second.id)
        XCTAssertEqual(first.manifest.layers, second.manifest.layers)
        // What a push sends: the layers compressed (gzip and zstd, on all cores), in one manifest digest.
        for compression in [ExportCompression.default, ExportCompression(algorithm: .zstd)] {
            let pushed = try service.exported(try service.load(first.manifestDescriptor), compression: compression)
            let otherPushed = try other.exported(try other.load(second.manifestDescriptor), compression: compression)
            XCTAssertNotEqual(pushed.manifestDescriptor.digest, first.manifestDescriptor.digest)
            XCTAssertEqual(pushed.manifestDescriptor.digest, otherPushed.manifestDescriptor.digest, "\(compression)")
            XCTAssertEqual(pushed.id, first.id)
        }
        // created and the history entries of this build are the epoch; none is later.
        XCTAssertEqual(first.config.created?.secondsSinceEpoch, epoch)
        XCTAssertEqual(first.config.created?.text, "2023-11-14T22:13:20Z")
        let added = first.config.history.suffix(5)
        XCTAssertEqual(added.map { $0.created?.secondsSinceEpoch }, Array(repeating: epoch, count: 5))
        XCTAssertTrue(first.config.history.allSatisfy { ($0.created?.secondsSinceEpoch ?? 0) <= epoch })
        // Every file in the layers this build made is clamped to the epoch (all are newer here).
        let times = try layerTimes(first, in: service, skipping: baseLayers)
        for path in ["a.txt", "dir/", "dir/b.txt", "made/", "made/sub/f", "made/sub/link"] {
            XCTAssertEqual(times[path], epoch, "\(path) in \(times)")
        }
        XCTAssertTrue(times.values.allSatisfy { $0 <= epoch }, "\(times)")
    }

    func testFullyCachedRebuildKeepsTheImageID() async throws {
        try requireContainers()
        _ = try await loadBusybox()
        try write("a.txt", "a\n")
        try write("dir/b.txt", "b\n")
        let args = ["SOURCE_DATE_EPOCH": "\(epoch)"]
        let (first, _) = try await build(dockerfile, in: service, buildArgs: args)
        try await Task.sleep(nanoseconds: 1_100_000_000)
        let (second, lines) = try await build(dockerfile, in: service, buildArgs: args)
        XCTAssertEqual(lines.filter { $0.hasSuffix(" CACHED") }.count, 3, lines.joined(separator: "\n"))
        XCTAssertEqual(first.id, second.id)
        XCTAssertEqual(first.manifestDescriptor.digest, second.manifestDescriptor.digest)
    }

    func testWithoutTheEpochLayersKeepFileTimesAndCreatedIsNow() async throws {
        try requireContainers()
        _ = try await loadBusybox()
        try write("a.txt", "a\n")
        try write("dir/b.txt", "b\n")
        let old = Date(timeIntervalSince1970: 1_500_000_000)
        try touchContext(old)
        let before = Int64(Date().timeIntervalSince1970)
        let (result, _) = try await build("FROM kiln-test/busybox:latest\nCOPY a.txt /a.txt\n", in: service)
        let baseLayers = result.manifest.layers.count - 1
        XCTAssertEqual(try layerTimes(result, in: service, skipping: baseLayers)["a.txt"], 1_500_000_000)
        XCTAssertGreaterThanOrEqual(result.config.created?.secondsSinceEpoch ?? 0, before)
        XCTAssertGreaterThanOrEqual(result.config.history.last?.created?.secondsSinceEpoch ?? 0, before)
    }

    /// A cache record made without the epoch holds unclamped files: a build with the epoch does
    /// not reuse it (BuildKit issue #3180 names the same hazard for its blobs).
    func testEpochBuildDoesNotReuseLayersCachedWithoutIt() async throws {
        try requireContainers()
        _ = try await loadBusybox()
        try write("a.txt", "a\n")
        let dockerfile = "FROM kiln-test/busybox:latest\nCOPY a.txt /a.txt\n"
        _ = try await build(dockerfile, in: service)
        let (_, lines) = try await build(dockerfile, in: service, buildArgs: ["SOURCE_DATE_EPOCH": "\(epoch)"])
        XCTAssertFalse(lines.contains { $0.hasSuffix(" CACHED") }, lines.joined(separator: "\n"))
    }

    func testBuildArgTakesPrecedenceOverTheEnvironment() throws {
        // Buildx commands/build.go: the environment value is used only when the build arg is absent.
        var options = BuildOptions(dockerfileText: "FROM scratch\n", contextDirectory: nil)
        options.adoptSourceDateEpoch(fromEnvironment: ["SOURCE_DATE_EPOCH": "100"])
        XCTAssertEqual(try options.sourceDateEpoch(), 100)
        options.buildArgs["SOURCE_DATE_EPOCH"] = "200"
        options.adoptSourceDateEpoch(fromEnvironment: ["SOURCE_DATE_EPOCH": "100"])
        XCTAssertEqual(try options.sourceDateEpoch(), 200)
        var empty = BuildOptions(dockerfileText: "FROM scratch\n", contextDirectory: nil)
        empty.adoptSourceDateEpoch(fromEnvironment: ["SOURCE_DATE_EPOCH": ""])
        XCTAssertNil(try empty.sourceDateEpoch())
    }

    func testInvalidEpochIsAnError() async throws {
        do {
            _ = try await build("FROM scratch\nENV A=1\n", in: service, buildArgs: ["SOURCE_DATE_EPOCH": "yesterday"])
            XCTFail("expected a failure")
        } catch let error as BuildError {
            XCTAssertTrue(error.message.contains("invalid SOURCE_DATE_EPOCH"), error.message)
        }
    }

    /// `ARG SOURCE_DATE_EPOCH` exposes the value to RUN (BuildKit PR #2918: "the build-arg can also
    /// be exposed to inner processes by defining ARG SOURCE_DATE_EPOCH inside the stage").
    func testArgExposesTheEpochToRun() async throws {
        try requireContainers()
        _ = try await loadBusybox()
        let (result, _) = try await build("""
            FROM kiln-test/busybox:latest
            ARG SOURCE_DATE_EPOCH
            RUN echo $SOURCE_DATE_EPOCH > /epoch
            """, in: service, buildArgs: ["SOURCE_DATE_EPOCH": "\(epoch)"])
        XCTAssertEqual(try file("epoch", in: result), "\(epoch)\n")
    }
}
