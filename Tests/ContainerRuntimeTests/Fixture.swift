import ContainerRuntime
import Foundation
import LayerArchive
import TestVectors
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The busybox fixture unpacked into per-layer overlay snapshot directories, once per test process,
/// plus helpers that mount a container root over it.
enum Fixture {
    /// Unpacked layer directories, base first.
    static let busyboxLayers: Result<[String], Error> = Result { try unpackBusybox() }

    /// Skips unless running as root with a working OCI runtime.
    static func runtime() throws -> OCIRuntime {
        guard geteuid() == 0 else { throw XCTSkip("needs root (mounts, runc)") }
        do {
            return try OCIRuntime.detect(preferred: nil)
        } catch {
            throw XCTSkip("no working OCI runtime: \(error)")
        }
    }

    static func layers() throws -> [String] { try busyboxLayers.get() }

    /// A fresh private scratch directory.
    static func scratch(_ name: String) throws -> String {
        let path = NSTemporaryDirectory() + "kiln-rt-\(name)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private static func unpackBusybox() throws -> [String] {
        let layout = Vectors.shared.appendingPathComponent("fixtures/busybox").path
        func blob(_ digest: String) -> String { layout + "/blobs/sha256/" + digest.dropFirst("sha256:".count) }
        func json(_ path: String) throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        }
        let index = try json(layout + "/index.json")
        let manifests = index["manifests"] as! [[String: Any]]
        let manifest = try json(blob(manifests[0]["digest"] as! String))
        // Unpacked once per machine: a finished unpack is renamed into place, later runs reuse it.
        let cached = NSTemporaryDirectory() + "kiln-rt-busybox-fixture"
        let count = (manifest["layers"] as! [[String: Any]]).count
        if FileManager.default.fileExists(atPath: cached + "/complete") {
            return (0..<count).map { cached + "/layer\($0)" }
        }
        let root = try scratch("busybox")
        var directories: [String] = []
        for (number, layer) in (manifest["layers"] as! [[String: Any]]).enumerated() {
            let directory = root + "/layer\(number)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let applier = LayerApplier(target: directory, options: LayerApplyOptions(whiteouts: .overlayMarkers))
            _ = try applier.apply(blobFile: blob(layer["digest"] as! String))
            directories.append(directory)
        }
        FileManager.default.createFile(atPath: root + "/complete", contents: Data())
        if rename(root, cached) == 0 {
            return (0..<count).map { cached + "/layer\($0)" }
        }
        return directories
    }
}

/// A writable overlay container root over some lower dirs, with its upper dir exposed.
struct TestRoot {
    let base: String
    let upper: String
    let mount: OverlayMount
    var rootfs: String { mount.target }

    init(lowerDirs: [String], name: String = "root") throws {
        base = try Fixture.scratch(name)
        upper = base + "/upper"
        for directory in ["upper", "work", "merged"] {
            try FileManager.default.createDirectory(atPath: base + "/" + directory, withIntermediateDirectories: true)
        }
        mount = try OverlayMount.mount(lowerDirs: lowerDirs, upperDir: upper, workDir: base + "/work",
                                       target: base + "/merged", readOnly: false)
    }

    func tearDown() {
        try? mount.unmount()
        try? FileManager.default.removeItem(atPath: base)
    }
}

/// Collects a container's output.
final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes: [UInt8] = []

    func append(_ chunk: [UInt8]) {
        lock.lock()
        bytes += chunk
        lock.unlock()
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension ContainerRunner {
    /// Runs `args` with defaults in `rootfs`; returns (status, output).
    func run(_ args: [String], in rootfs: String, configure: (inout ContainerSpec) -> Void = { _ in })
        async throws -> (status: Int32, output: String) {
        var spec = ContainerSpec(rootfs: rootfs, args: args)
        configure(&spec)
        let collector = OutputCollector()
        let status = try await run(spec, id: "kiln-test-\(UUID().uuidString.prefix(12))", stdin: nil) { collector.append($0) }
        return (status, collector.text)
    }
}

/// A test that runs containers: a working runtime (else skipped) and a private runc state folder.
class RuntimeTestCase: XCTestCase {
    var runtime: OCIRuntime!
    var state: String!

    override func setUpWithError() throws {
        runtime = try Fixture.runtime()
        state = try Fixture.scratch("state")
    }

    override func tearDown() {
        if let state { try? FileManager.default.removeItem(atPath: state) }
    }

    var runner: ContainerRunner { ContainerRunner(runtime: runtime, stateDirectory: state) }
}
