import Foundation
import ImageSpec
import XCTest
@testable import Images

/// BuildKit's cache keys as kiln computes them (``BuildKitKeys``), checked against inline caches
/// Docker 20.10 exported (`Vectors/docker-inline-cache`, see its README): each step of the vector's
/// Dockerfile, keyed by kiln, finds the layer Docker made for it. No Docker needed.
final class BuildKitKeysVectorTests: XCTestCase {
    static let vectors = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/docker-inline-cache")
    static let baseManifest = Digest("sha256:e18e8acfca9d134497745905c6f95b163537a278ffacac2270a708727f2b52e1")!
    static let baseDiffID = Digest("sha256:68941a9a3d95420b297b6be01e4642da49494b23b324f28428ed2fc0dd14bbca")!
    static let path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    let amd64 = try! Platform(os: "linux", architecture: "amd64")

    enum Step {
        case workdir(String)
        case run(args: [String], env: [String], cwd: String, user: String)
        /// `COPY source dest` from the context at `context`.
        case copy(source: String, dest: String, workdir: String, context: String)
        /// `COPY|ADD [--chmod] sources… dest`.
        case copyMany(sources: [String], dest: String, mode: Int32?, add: Bool, context: String, included: Set<String>? = nil)
    }

    /// The vector's imported entries and image diffIDs.
    func load(_ name: String) throws -> (entries: [CacheEntry], diffIDs: [Digest]) {
        let dir = Self.vectors.appendingPathComponent(name)
        let config = try CanonicalJSON.decode(ImageConfig.self, from: Data(contentsOf: dir.appendingPathComponent("image-config.json")))
        let manifest = try CanonicalJSON.decode(Manifest.self, from: Data(contentsOf: dir.appendingPathComponent("image-manifest.json")))
        let entries = try XCTUnwrap(try InlineCache.entries(in: config, layers: manifest.layers), "\(name) has an inline cache")
        return (entries, config.rootfs.diffIDs)
    }

    /// Walks `steps` from the busybox base, checking that step i finds image layer `i + 1`.
    func check(_ name: String, _ steps: [Step], network: Int = 1, file: StaticString = #filePath, line: UInt = #line) throws {
        let (entries, diffIDs) = try load(name)
        var byKey: [String: CacheEntry] = [:]
        for entry in entries { byKey[entry.key] = entry }
        var keys = BuildKitKeys.imageRoots(manifestDigests: [Self.baseManifest], platform: amd64, diffIDs: [Self.baseDiffID])
        XCTAssertEqual(keys.count, 2, "the manifest key and the layer chain key", file: file, line: line)
        for (i, step) in steps.enumerated() {
            let record: String
            switch step {
            case .workdir(let path):
                record = BuildKitKeys.mkdirRecord(path: path)
            case .run(let args, let env, let cwd, let user):
                record = BuildKitKeys.execRecord(args: args, env: env, cwd: cwd, user: user, network: network, platform: amd64)
            case .copy(let source, let dest, let workdir, let context):
                let path = BuildKitKeys.goClean("/" + source)
                let copy = BuildKitKeys.copyRecord(source: path, destination: BuildKitKeys.copyDestination(dest, workingDirectory: workdir), mode: nil)
                let content = BuildKitKeys.contentRecord(checksums: [try ContextContentHash.checksum(root: context, path: path)])
                keys = keys.map { BuildKitKeys.copyChain($0, record: copy, content: content) }
                record = ""
            case .copyMany(let sources, let dest, let mode, let add, let context, let included):
                let paths = sources.map { BuildKitKeys.goClean("/" + $0) }
                let copy = BuildKitKeys.copyRecord(sources: paths, destination: BuildKitKeys.copyDestination(dest, workingDirectory: "/"),
                                                   mode: mode, add: add)
                let checksums = try BuildKitKeys.contentPaths(paths).map { try ContextContentHash.checksum(root: context, path: $0, included: included) }
                let content = BuildKitKeys.contentRecord(checksums: checksums)
                keys = keys.map { BuildKitKeys.copyChain($0, record: copy, content: content) }
                record = ""
            }
            if !record.isEmpty { keys = keys.map { BuildKitKeys.chain($0, record: record) } }
            let found = keys.compactMap { Digest($0).flatMap { byKey[$0.hex] } }
            XCTAssertFalse(found.isEmpty, "\(name) step \(i + 1) (\(step)) has no record", file: file, line: line)
            for entry in found {
                XCTAssertEqual(entry.diffID, diffIDs[i + 1], "\(name) step \(i + 1) finds Docker's layer for it", file: file, line: line)
            }
        }
    }

    func testEnvWorkdirRun() throws {
        // FROM busybox / ENV A=1 / WORKDIR /app / RUN echo hello > /app/x / RUN echo two > /app/y
        let env = [Self.path, "A=1"]
        try check("run1", [.workdir("/app"),
                           .run(args: ["/bin/sh", "-c", "echo hello > /app/x"], env: env, cwd: "/app", user: ""),
                           .run(args: ["/bin/sh", "-c", "echo two > /app/y"], env: env, cwd: "/app", user: "")])
    }

    func testArgEnvOrderUserShellExecForm() throws {
        // ARG V=one, ENV A=1 B=2, ENV A=3: A set again moves to the end of BuildKit's env.
        let env = [Self.path, "V=one", "B=2", "A=3"]
        try check("run2", [.run(args: ["/bin/sh", "-c", "echo \"$A $B $V\" > /ab && echo '<&>' >> /ab"], env: env, cwd: "/", user: ""),
                           .run(args: ["sh", "-c", "id; true"], env: env, cwd: "/", user: "1000:1000"),
                           .run(args: ["/bin/sh", "-e", "-c", "mkdir -p /out && date > /out/d"], env: env, cwd: "/", user: "0:0")])
    }

    /// A copy of the vector's context with the modes it had when Docker built it (a checkout's
    /// umask may differ; modes are part of the checksum, times and owners are not).
    func context(_ name: String, extra: Bool = true) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bk-context-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(at: Self.vectors.appendingPathComponent(name), to: dir)
        let modes = ["a.txt": 0o644, "src": 0o755, "src/b": 0o644, "src/sub": 0o755, "src/sub/c": 0o755]
        for (path, mode) in modes { XCTAssertEqual(chmod(dir.appendingPathComponent(path).path, mode_t(mode)), 0, path) }
        if extra { XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: dir.appendingPathComponent("src/link").path), "b") }
        return dir.path
    }

    func testCopyFromContext() throws {
        // WORKDIR /app / COPY a.txt . / COPY src /app/src/ / RUN cat a.txt src/b > /app/out
        let context = try context("copy1")
        try check("copy1", [.workdir("/app"),
                            .copy(source: "a.txt", dest: ".", workdir: "/app", context: context),
                            .copy(source: "src", dest: "/app/src/", workdir: "/app", context: context),
                            .run(args: ["/bin/sh", "-c", "cat a.txt src/b > /app/out"], env: [Self.path], cwd: "/app", user: "")])
        // Content, not times: touching a file keeps the checksum; changing a byte does not.
        let before = try ContextContentHash.checksum(root: context, path: "/src")
        utime(context + "/src/b", nil)
        XCTAssertEqual(try ContextContentHash.checksum(root: context, path: "/src"), before)
        try Data("z".utf8).write(to: URL(fileURLWithPath: context + "/src/b"))
        XCTAssertNotEqual(try ContextContentHash.checksum(root: context, path: "/src"), before)
    }

    /// Records as text: digest, result layer, inputs by digest (order of links ignored).
    func normalized(_ records: [BuildKitCacheConfig.Record]) -> Set<String> {
        Set(records.map { r in
            let inputs = (r.inputs ?? []).map { links in links.map { records[$0.link].digest.description }.sorted().joined(separator: ",") }
            return "\(r.digest) layer=\(r.layers?.first.map { String($0.layer) } ?? "-") inputs=\(inputs)"
        })
    }

    func testInlineExportIsDockersOwn() throws {
        // kiln's trail for copy1's steps makes the records Docker exported for them.
        let context = try context("copy1")
        let dir = Self.vectors.appendingPathComponent("copy1")
        let config = try CanonicalJSON.decode(ImageConfig.self, from: Data(contentsOf: dir.appendingPathComponent("image-config.json")))
        guard case .string(let docker)? = config.extraFields[BuildKitCacheConfig.inlineConfigField] else { return XCTFail("no inline cache") }
        var trail = BuildKitTrail(roots: BuildKitKeys.imageRoots(manifestDigests: [Self.baseManifest], platform: amd64, diffIDs: [Self.baseDiffID]))
        trail.steps.append(.init(record: BuildKitKeys.mkdirRecord(path: "/app"), layer: 1))
        for (i, (source, dest)) in [("/a.txt", "/app/"), ("/src", "/app/src/")].enumerated() {
            trail.steps.append(.init(record: BuildKitKeys.copyRecord(source: source, destination: dest, mode: nil),
                                     content: BuildKitKeys.contentRecord(checksums: [try ContextContentHash.checksum(root: context, path: source)]),
                                     layer: 2 + i))
        }
        trail.steps.append(.init(record: BuildKitKeys.execRecord(args: ["/bin/sh", "-c", "cat a.txt src/b > /app/out"], env: [Self.path],
                                                                 cwd: "/app", user: "", network: 1, platform: amd64), layer: 4))
        guard case .string(let kiln)? = InlineCache.value([], diffIDs: config.rootfs.diffIDs, buildKit: trail) else { return XCTFail("no value") }
        func records(_ base64: String) throws -> [BuildKitCacheConfig.Record] {
            try JSONDecoder().decode([BuildKitCacheConfig.Record].self, from: XCTUnwrap(Data(base64Encoded: base64)))
        }
        XCTAssertEqual(normalized(try records(kiln)), normalized(try records(docker)))
    }

    func testAddChmodAndSeveralSources() throws {
        // ADD a.txt /added/ / COPY --chmod=600 a.txt /chmodded / COPY a.txt src/b /multi/
        let ctx = try context("copy2", extra: false)
        try check("copy2", [.copyMany(sources: ["a.txt"], dest: "/added/", mode: nil, add: true, context: ctx),
                            .copyMany(sources: ["a.txt"], dest: "/chmodded", mode: 0o600, add: false, context: ctx),
                            .copyMany(sources: ["a.txt", "src/b"], dest: "/multi/", mode: nil, add: false, context: ctx)])
        // COPY src/b a.txt src src/sub /three/: more than two actions name their indexes; the
        // content is of a.txt and src only (src/b and src/sub are in src), sorted.
        XCTAssertEqual(BuildKitKeys.contentPaths(["/src/b", "/a.txt", "/src", "/src/sub"]), ["/a.txt", "/src"])
        let three = try context("copy3", extra: false)
        try check("copy3", [.copyMany(sources: ["src/b", "a.txt", "src", "src/sub"], dest: "/three/", mode: nil, add: false, context: three)])
    }

    func testDockerignore() throws {
        // .dockerignore: *.md, src/*.log, src/tmp, !src/tmp/keep.txt. COPY src /app/src/ / COPY . /all2/
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bk-ignore-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(at: Self.vectors.appendingPathComponent("ignore1"), to: dir)
        for (path, mode) in [".dockerignore": 0o644, "Dockerfile": 0o644, "a.txt": 0o644, "src": 0o755, "src/b": 0o644,
                             "src/sub": 0o755, "src/sub/c": 0o644, "src/tmp": 0o755, "src/tmp/keep.txt": 0o644] {
            XCTAssertEqual(chmod(dir.appendingPathComponent(path).path, mode_t(mode)), 0, path)
        }
        // What Docker 20.10 sent (kiln's ContextScan gives the same set for these patterns).
        let included: Set<String> = [".dockerignore", "Dockerfile", "a.txt", "src", "src/b", "src/sub", "src/sub/c", "src/tmp", "src/tmp/keep.txt"]
        try check("ignore1", [.copyMany(sources: ["src"], dest: "/app/src/", mode: nil, add: false, context: dir.path, included: included),
                              .copyMany(sources: ["."], dest: "/all2/", mode: nil, add: false, context: dir.path, included: included)])
    }

    func testCopyDestinations() {
        XCTAssertEqual(BuildKitKeys.copyDestination(".", workingDirectory: "/app"), "/app/")
        XCTAssertEqual(BuildKitKeys.copyDestination(".", workingDirectory: "/"), "/")
        XCTAssertEqual(BuildKitKeys.copyDestination("x", workingDirectory: "/app"), "/app/x")
        XCTAssertEqual(BuildKitKeys.copyDestination("/a/b/", workingDirectory: "/app"), "/a/b/")
        XCTAssertEqual(BuildKitKeys.copyDestination("../y/", workingDirectory: "/app/w"), "/app/y/")
    }

    func testStageFromAnEarlierStage() throws {
        // FROM busybox AS base / ENV X=1 / RUN echo a > /a / FROM base / ENV Y=2 X=3 / RUN echo b > /b
        try check("stage1", [.run(args: ["/bin/sh", "-c", "echo a > /a"], env: [Self.path, "X=1"], cwd: "/", user: ""),
                             .run(args: ["/bin/sh", "-c", "echo b > /b"], env: [Self.path, "Y=2", "X=3"], cwd: "/", user: "")])
    }

    func testOtherNetworkOrBaseMisses() throws {
        let (entries, _) = try load("run1")
        let keys = Set(entries.map(\.key))
        let record = BuildKitKeys.mkdirRecord(path: "/app")
        // Docker built with --network=host: the same WORKDIR on another base has no record.
        let otherBase = BuildKitKeys.imageRoots(manifestDigests: [], platform: amd64, diffIDs: [.sha256(of: Data("other".utf8))])
        XCTAssertFalse(otherBase.contains { keys.contains(Digest(BuildKitKeys.chain($0, record: record))!.hex) })
        // A RUN keyed with the default network is another op.
        let roots = BuildKitKeys.imageRoots(manifestDigests: [Self.baseManifest], platform: amd64, diffIDs: [Self.baseDiffID])
        let workdir = roots.map { BuildKitKeys.chain($0, record: record) }
        let run = BuildKitKeys.execRecord(args: ["/bin/sh", "-c", "echo hello > /app/x"], env: [Self.path, "A=1"], cwd: "/app", user: "",
                                          network: 0, platform: amd64)
        XCTAssertFalse(workdir.contains { keys.contains(Digest(BuildKitKeys.chain($0, record: run))!.hex) })
    }

    func testGoJSONStrings() {
        XCTAssertEqual(BuildKitKeys.goString("a<b>&\"\\\n\t\u{1}\u{2028}é"), "\"a\\u003cb\\u003e\\u0026\\\"\\\\\\n\\t\\u0001\\u2028é\"")
    }
}
