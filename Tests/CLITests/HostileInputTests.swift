import Foundation
import TestVectors
import XCTest

/// Hostile input through every entry point that unpacks or fetches (issue 14): `kiln load` of an
/// OCI and a docker archive, `kiln import`, a pull from a registry serving a crafted image, COPY
/// --from an image, ADD of a local archive — each followed by what unpacks the image (a build
/// FROM it). One test per case, named after what it guards against. For every entry point:
/// nothing is written outside the target (no `*pwned*` file outside a snapshot or image folder,
/// the host file a link points at unchanged), `kiln system check` is clean, nothing is left in
/// the store's temp folder and nothing stays mounted; a refused case fails with a message naming
/// the entry or the blob.
final class HostileInputTests: XCTestCase {
    enum EntryPoint: String, CaseIterable {
        case loadOCI = "load-oci", loadDocker = "load-docker", importLayer = "import", pull, copyFrom = "copy-from", add
    }

    enum Expect {
        /// Every entry point succeeds (the content is confined to the image).
        case accepted
        /// Every entry point fails, its output containing one of these fragments.
        case refused([String])
    }

    nonisolated(unsafe) static var work: URL!
    nonisolated(unsafe) static var registryPID: Int32 = 0
    nonisolated(unsafe) static var registryPort = 0

    var outside: URL { Self.work.appendingPathComponent("outside") }

    override class func setUp() {
        super.setUp()
        work = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-hostile-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: work.appendingPathComponent("outside"), withIntermediateDirectories: true)
        try? Data("host file\n".utf8).write(to: work.appendingPathComponent("outside/target"))
        try? Data(HostileCraft.script.utf8).write(to: work.appendingPathComponent("hostile.py"))
        try? FileManager.default.createDirectory(at: work.appendingPathComponent("layouts"), withIntermediateDirectories: true)
    }

    override class func tearDown() {
        if registryPID > 0 { kill(registryPID, SIGKILL) }
        if let work { try? FileManager.default.removeItem(at: work) }
        super.tearDown()
    }

    // MARK: - Entry names

    func testDotDotEntryNameIsRefused() throws {
        try check("dotdot", .refused(["escape-dotdot-pwned"]), atLoad: true)
    }

    func testAbsoluteEntryNameStaysInsideTheImage() throws {
        try check("absolute", .accepted)
    }

    func testSymlinkThenFileThroughItStaysInsideTheImage() throws {
        try check("symlink-chain", .accepted)
    }

    func testHardlinkToAPathOutsideIsRefused() throws {
        try check("hardlink-outside", .refused(["outside/target"]))
    }

    func testHardlinkToASymlinkThenAFileOverItLeavesTheHostFileAlone() throws {
        try check("hardlink-symlink", .accepted)
    }

    func testWhiteoutClimbingWithDotDotIsRefused() throws {
        try check("whiteout-climb", .refused([".wh.escape-pwned"]), atLoad: true)
    }

    func testWhiteoutNamingDotDotIsRefused() throws {
        try check("whiteout-dotdot", .refused([".wh..."]), atLoad: true)
    }

    func testOpaqueWhiteoutAtTheRootIsConfined() throws {
        try check("opaque-root", .accepted)
    }

    func testDeviceNodesStayInsideTheImage() throws {
        try check("device-nodes", .accepted)
    }

    func testDuplicateEntriesLastOneWins() throws {
        try check("duplicate", .accepted)
    }

    // ADD of a local archive that is not a readable tar copies it as a file, as BuildKit does.
    private static let unpacking: [EntryPoint] = [.loadOCI, .loadDocker, .importLayer, .pull, .copyFrom]

    func testTenMegabytePaxHeaderIsRefused() throws {
        try check("pax-10mb", .refused(["PAX header"]), entryPoints: Self.unpacking, atLoad: true)
        // Its first header cannot be read, so for ADD it is no archive: copied as the file it is.
        try check("pax-10mb", .accepted, entryPoints: [.add])
    }

    func testNameLongerThanPathMaxIsHandled() throws {
        try check("long-name", .accepted)
    }

    func testComponentLongerThanNameMaxIsRefusedNamingIt() throws {
        try check("long-component", .refused(["File name too long"]), atLoad: true)
    }

    // MARK: - Compression and framing

    func testGzipBombStopsAtTheLayerSizeLimitWithBoundedMemory() throws {
        setenv("KILN_MAX_LAYER_SIZE", "64M", 1)
        defer { unsetenv("KILN_MAX_LAYER_SIZE") }
        try check("gzip-bomb", .refused(["KILN_MAX_LAYER_SIZE"]), entryPoints: [.loadOCI, .importLayer, .pull, .copyFrom, .add],
                  maxMemoryMB: 400, atLoad: true)
    }

    func testTruncatedGzipIsRefusedNamingTheLayer() throws {
        try check("truncated-gzip", .refused(["truncated"]), atLoad: true)
    }

    func testGarbageAfterTheEndOfArchiveIsHandled() throws {
        try check("garbage-after-end", .accepted)
    }

    // MARK: - Documents and blobs

    func testBlobNotMatchingItsDigestIsRefused() throws {
        try check("blob-digest-mismatch", .refused(["digest", "does not match"]), entryPoints: [.loadOCI, .pull, .copyFrom])
    }

    func testBlobLongerThanItsDescriptorIsRefused() throws {
        try check("blob-longer-than-descriptor", .refused(["does not match", "digest", "larger than"]), entryPoints: [.loadOCI, .pull, .copyFrom])
    }

    func testManifestNotMatchingItsDigestIsRefused() throws {
        try check("manifest-digest-mismatch", .refused(["digest", "does not match"]), entryPoints: [.loadOCI, .pull, .copyFrom])
    }

    func testTwoHundredMegabyteManifestIsRefused() throws {
        try check("manifest-200mb", .refused(["4194304"]), entryPoints: [.loadOCI, .pull, .copyFrom], maxMemoryMB: 400)
    }

    func testTenThousandLayersAreRefused() throws {
        try check("layers-10000", .refused(["10000 layers"]), entryPoints: [.loadOCI, .loadDocker, .pull, .copyFrom])
    }

    // MARK: - Registry behaviour

    func testRedirectLoopIsRefused() throws {
        try check("redirect-loop", .refused(["redirect"]), entryPoints: [.pull])
    }

    func testBodyDrippingAByteASecondTimesOut() throws {
        setenv("KILN_REGISTRY_READ_TIMEOUT", "2", 1)
        defer { unsetenv("KILN_REGISTRY_READ_TIMEOUT") }
        try check("drip", .refused(["KILN_REGISTRY_READ_TIMEOUT"]), entryPoints: [.pull])
    }

    func testBodyStallingAfterTheHeadersTimesOut() throws {
        setenv("KILN_REGISTRY_READ_TIMEOUT", "2", 1)
        defer { unsetenv("KILN_REGISTRY_READ_TIMEOUT") }
        try check("stall", .refused(["KILN_REGISTRY_READ_TIMEOUT", "read timeout"]), entryPoints: [.pull])
    }

    // MARK: - Machinery

    /// Crafts `name`, runs it through `entryPoints` on a fresh store each, and checks the outcome.
    /// `atLoad`: a refusal must come from `kiln load`/`kiln import` itself (the layer's own bytes tell),
    /// not later from the build that unpacks what they stored.
    private func check(_ name: String, _ expect: Expect, entryPoints: [EntryPoint] = EntryPoint.allCases, maxMemoryMB: Int? = nil,
                       atLoad: Bool = false, file: StaticString = #filePath, line: UInt = #line) throws {
        let crafted = try python(["craft", name, outside.path, Self.work.path])
        let hasDocker = crafted.contains("docker") && !crafted.contains("no-docker")
        for entry in entryPoints {
            if entry == .loadDocker && !hasDocker { continue }
            let store = Self.work.appendingPathComponent("store-\(name)-\(entry.rawValue)")
            defer { try? FileManager.default.removeItem(at: store) }
            let (ok, output, peakKB) = try run(entry, name, store: store)
            let label = "\(name) via \(entry.rawValue)"
            switch expect {
            case .accepted:
                XCTAssertTrue(ok, "\(label) must succeed: \(output)", file: file, line: line)
            case .refused(let fragments):
                XCTAssertFalse(ok, "\(label) must be refused: \(output)", file: file, line: line)
                XCTAssertTrue(fragments.contains { output.contains($0) }, "\(label): the error names none of \(fragments): \(output)", file: file, line: line)
                XCTAssertFalse(output.contains("Fatal error") || output.contains("Stack dump"), "\(label) crashed: \(output)", file: file, line: line)
                if atLoad, [.loadOCI, .loadDocker, .importLayer].contains(entry) {
                    XCTAssertFalse(output.contains("$ kiln build"), "\(label) must be refused by load/import, not at unpack: \(output)", file: file, line: line)
                }
            }
            if let maxMemoryMB, let peakKB {
                XCTAssertLessThan(peakKB / 1024, maxMemoryMB, "\(label): kiln's peak memory", file: file, line: line)
            }
            try assertNothingEscaped(label, file: file, line: line)
            try assertStoreClean(store, label, file: file, line: line)
        }
    }

    /// Runs one entry point; returns whether every step succeeded, their output, and the largest
    /// peak memory (KiB) of a step.
    private func run(_ entry: EntryPoint, _ name: String, store: URL) throws -> (Bool, String, Int?) {
        let kiln = KilnProcess.executable.path
        let ctx = store.appendingPathComponent("ctx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: ctx, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: ctx) }
        func dockerfile(_ text: String) throws { try Data(text.utf8).write(to: ctx.appendingPathComponent("Dockerfile")) }
        let root = ["--root", store.path]
        var steps: [[String]] = []
        switch entry {
        case .loadOCI:
            try dockerfile("FROM hostile/\(name):latest\nLABEL checked=yes\n")
            steps = [["load"] + root + ["-i", Self.work.appendingPathComponent("\(name)-oci.tar").path], ["build", "-q"] + root + [ctx.path]]
        case .loadDocker:
            try dockerfile("FROM hostile/docker:latest\nLABEL checked=yes\n")
            steps = [["load"] + root + ["-i", Self.work.appendingPathComponent("\(name)-docker.tar").path], ["build", "-q"] + root + [ctx.path]]
        case .importLayer:
            try dockerfile("FROM imported/\(name):latest\nLABEL checked=yes\n")
            steps = [["import"] + root + [Self.work.appendingPathComponent("\(name)-layer.tar.gz").path, "imported/\(name):latest"],
                     ["build", "-q"] + root + [ctx.path]]
        case .pull:
            let port = try registryPort()
            try dockerfile("FROM 127.0.0.1:\(port)/hostile/\(name):latest\nLABEL checked=yes\n")
            steps = [["build", "-q"] + root + [ctx.path]]
        case .copyFrom:
            try dockerfile("FROM scratch\nCOPY --from=evil / /copied/\n")
            let layout = Self.work.appendingPathComponent("layouts/\(name)").path
            steps = [["build", "-q"] + root + ["--build-context", "evil=oci-layout://\(layout):latest", ctx.path]]
        case .add:
            try FileManager.default.copyItem(at: Self.work.appendingPathComponent("\(name)-layer.tar.gz"), to: ctx.appendingPathComponent("layer.tar.gz"))
            try dockerfile("FROM scratch\nADD layer.tar.gz /dst/\n")
            steps = [["build", "-q"] + root + [ctx.path]]
        }
        var output = ""
        var peak: Int?
        for step in steps {
            let memory = Self.work.appendingPathComponent("mem-\(UUID().uuidString)").path
            let result = try Self.runProcess("/usr/bin/time", ["-f", "%M", "-o", memory, kiln] + step)
            if let text = try? String(contentsOfFile: memory, encoding: .utf8),
               let kb = text.split(separator: "\n").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) {
                peak = max(peak ?? 0, kb)
            }
            try? FileManager.default.removeItem(atPath: memory)
            output += "$ kiln \(step.joined(separator: " "))\n\(result.stdout)\(result.stderr)\n"
            if result.status != 0 { return (false, output, peak) }
        }
        return (true, output, peak)
    }

    /// No `*pwned*` file anywhere under the work folder but inside an image's own folders (a
    /// snapshot, a build's output), and the host file the crafted links aim at is untouched.
    private func assertNothingEscaped(_ label: String, file: StaticString, line: UInt) throws {
        let enumerator = FileManager.default.enumerator(atPath: Self.work.path)
        while let path = enumerator?.nextObject() as? String {
            guard (path as NSString).lastPathComponent.contains("pwned") else { continue }
            let inside = path.contains("/kiln/snapshots/") || path.contains("/layouts/")
            XCTAssertTrue(inside, "\(label) wrote \(path) outside the image", file: file, line: line)
        }
        XCTAssertEqual(try String(contentsOf: outside.appendingPathComponent("target"), encoding: .utf8), "host file\n",
                       "\(label) changed a host file through a link", file: file, line: line)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: outside.path), ["target"], "\(label) wrote into the outside folder", file: file, line: line)
    }

    /// `kiln system check` is clean, `kiln/tmp` is empty and nothing is mounted under the store.
    private func assertStoreClean(_ store: URL, _ label: String, file: StaticString, line: UInt) throws {
        guard FileManager.default.fileExists(atPath: store.path) else { return }
        let check = try KilnProcess.run(["system", "check", "--root", store.path])
        XCTAssertEqual(check.status, 0, "\(label): system check: \(check.stdout)\(check.stderr)", file: file, line: line)
        let tmp = store.appendingPathComponent("kiln/tmp")
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: tmp.path)) ?? [], [], "\(label) left files in \(tmp.path)", file: file, line: line)
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        XCTAssertFalse(mounts.contains(" \(store.path)/"), "\(label) left a mount under the store", file: file, line: line)
    }

    private func registryPort() throws -> Int {
        if Self.registryPort > 0 { return Self.registryPort }
        let portFile = Self.work.appendingPathComponent("registry.port").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [Self.work.appendingPathComponent("hostile.py").path, "serve", Self.work.appendingPathComponent("layouts").path, portFile]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        Self.registryPID = process.processIdentifier
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: portFile) { usleep(100_000) }
        guard let text = try? String(contentsOfFile: portFile, encoding: .utf8), let port = Int(text) else {
            throw XCTSkip("the hostile registry did not start")
        }
        Self.registryPort = port
        return port
    }

    private func python(_ arguments: [String]) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else { throw XCTSkip("python3 is needed to craft hostile input") }
        let result = try Self.runProcess("/usr/bin/python3", [Self.work.appendingPathComponent("hostile.py").path] + arguments)
        guard result.status == 0 else { throw XCTSkip("crafting failed: \(result.stderr)") }
        return result.stdout
    }

    /// Runs `path` with `arguments` (``runCapturing``: output captured in files, so a process left
    /// behind cannot hold a pipe open, waited for with `waitpid` and started with default signal
    /// handling — the SIGKILL loops start and reap many children); a signal's death as 128 + its number.
    static func runProcess(_ path: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let result = try runCapturing(path, arguments)
        return (result.signaled ? 128 + result.status : result.status,
                String(decoding: result.stdout, as: UTF8.self), String(decoding: result.stderr, as: UTF8.self))
    }
}
