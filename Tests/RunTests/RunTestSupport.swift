import Foundation
import ImageArchive
import ImageSpec
import ImageStore
import TestVectors
import XCTest

/// A scratch store holding the busybox fixture (as `kiln-test/busybox:latest`) and a way to run
/// the built kiln binary on it through bash.
class RunTestCase: XCTestCase {
    static let busybox = "kiln-test/busybox:latest"
    var work: URL!
    var storeRoot: URL { work.appendingPathComponent("store") }
    /// Containers started by a test, removed (forcibly) afterwards.
    var started: [String] = []

    override func setUp() async throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root (overlay mounts, runc)") }
        let hasRunc = ["/usr/sbin/runc", "/usr/bin/runc", "/usr/local/bin/runc", "/usr/local/sbin/runc"]
            .contains { FileManager.default.isExecutableFile(atPath: $0) }
        guard hasRunc else { throw XCTSkip("runc is not installed (apt-get install -y runc)") }
        work = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let fixture = Vectors.shared.appendingPathComponent("fixtures/busybox").path
        guard FileManager.default.fileExists(atPath: fixture) else { throw XCTSkip("no busybox fixture at \(fixture)") }
        let store = try ContentStore(root: storeRoot)
        let images = try await ImageLoader(store: store).load(from: fixture)
        guard let image = images.first else { throw XCTSkip("the busybox fixture holds no image") }
        try await store.tag(try ImageReference(parsing: Self.busybox), image.manifestDescriptor)
    }

    override func tearDown() async throws {
        for name in started { _ = sh("\(kiln) rm -f \(name)") }
        if let work { try? FileManager.default.removeItem(at: work) }
    }

    /// The kiln binary under test, with the scratch store, quoted for the shell.
    var kiln: String { "KILN_ROOT='\(storeRoot.path)' '\(KilnProcess.executable.path)'" }

    struct Result {
        var status: Int32
        var output: String
    }

    /// Runs `bash -c command` (stdin from /dev/null unless the command redirects it), stdout and
    /// stderr captured together through a file (posix_spawn: a detached monitor left running
    /// never holds a pipe the test waits on).
    @discardableResult
    func sh(_ command: String) -> Result {
        let log = work.appendingPathComponent("sh-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let pid = spawn("{ \(command) ; } </dev/null >'\(log)' 2>&1")
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return Result(status: status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f), output: output)
    }

    /// Starts `bash -c command` without waiting; its pid.
    func spawn(_ command: String) -> pid_t {
        let argv = ["/bin/bash", "-c", command]
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        _ = spawnWithDefaultSignals(&pid, "/bin/bash", &cArgs, environ)
        return pid
    }

    /// `sh`, failing the test unless the status is `expected`; the output.
    @discardableResult
    func check(_ command: String, status expected: Int32 = 0, file: StaticString = #filePath, line: UInt = #line) -> String {
        let result = sh(command)
        XCTAssertEqual(result.status, expected, "`\(command)`:\n\(result.output)", file: file, line: line)
        return result.output
    }

    /// Builds `dockerfile` (with `files` in its context) as `tag`.
    func build(_ tag: String, _ dockerfile: String, files: [String: String] = [:]) throws {
        let context = work.appendingPathComponent("ctx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: context, withIntermediateDirectories: true)
        try Data(dockerfile.utf8).write(to: context.appendingPathComponent("Dockerfile"))
        for (name, text) in files { try Data(text.utf8).write(to: context.appendingPathComponent(name)) }
        check("\(kiln) build -q -t \(tag) '\(context.path)'")
    }

    /// Polls `command` until its output contains `text` (or `timeout` seconds pass).
    func waitFor(_ text: String, in command: String, timeout: TimeInterval = 20) -> String {
        let start = Date()
        var output = ""
        while Date().timeIntervalSince(start) < timeout {
            output = sh(command).output
            if output.contains(text) { return output }
            usleep(100_000)
        }
        return output
    }

    /// A TCP port nobody listens on now, on 127.0.0.1.
    func freePort() -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        return UInt16(bigEndian: address.sin_port)
    }
}
