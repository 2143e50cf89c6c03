import Foundation
import ImageSpec
import ImageStore
import TestVectors
import XCTest
@testable import Images

/// An HTTP proxy in front of the real registry that damages one blob: `corrupt` serves it with one
/// byte flipped (same length), `drop` closes the connection half way through its first GET and
/// serves the rest normally (so a client can resume with Range). Every blob GET is logged with its
/// Range header.
enum FaultProxy {
    static let script = #"""
import http.client, http.server, os, sys, threading
port, target, mode, digest, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
lock = threading.Lock(); seen = {"n": 0}
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args): pass
    def forward(self, body):
        conn = http.client.HTTPConnection("127.0.0.1", target)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        conn.request(self.command, self.path, headers=headers)
        resp = conn.getresponse(); data = resp.read()
        is_blob = self.command == "GET" and ("/blobs/" + digest) in self.path and resp.status in (200, 206)
        if "/blobs/" in self.path and self.command == "GET":
            with lock:
                with open(log, "a") as f: f.write("%s %s\n" % (self.path, self.headers.get("Range", "-")))
        first = False
        if is_blob:
            with lock:
                seen["n"] += 1; first = seen["n"] == 1
        if is_blob and mode == "corrupt":
            mid = len(data) // 2
            data = data[:mid] + bytes([data[mid] ^ 0xFF]) + data[mid + 1:]
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("connection", "transfer-encoding", "content-length"): self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            if is_blob and mode == "drop" and first:
                self.wfile.write(data[: len(data) // 2]); self.wfile.flush()
                self.connection.shutdown(2); self.close_connection = True; return
            self.wfile.write(data)
    def do_GET(self): self.forward(True)
    def do_HEAD(self): self.forward(False)
server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
with open(log + ".ready", "w") as f: f.write(str(os.getpid()))
server.serve_forever()
"""#

    static func start(port: Int, target: Int, mode: String, digest: Digest, in dir: URL) throws -> (pid: String, log: String) {
        guard shell("command -v python3").status == 0 else { throw XCTSkip("python3 not installed") }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let scriptPath = dir.appendingPathComponent("fault-proxy.py").path
        try Data(script.utf8).write(to: URL(fileURLWithPath: scriptPath))
        let log = dir.appendingPathComponent("fault-\(port).log").path
        shell("setsid python3 \(quoted(scriptPath)) \(port) \(target) \(mode) \(digest) \(quoted(log)) >/dev/null 2>&1 &")
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: log + ".ready") { usleep(100_000) }
        guard let pid = try? String(contentsOfFile: log + ".ready", encoding: .utf8), !pid.isEmpty else {
            throw XCTSkip("the fault proxy did not start on port \(port)")
        }
        return (pid, log)
    }
}

/// Faults during a pull (issue 3): wrong bytes are refused with a digest error naming the blob and
/// leave nothing stored; a connection dropped mid-blob is retried and the pull completes.
final class FaultTests: ImagesTestCase {
    private var proxyPIDs: [String] = []

    override func tearDown() async throws {
        for pid in proxyPIDs { shell("kill \(pid)") }
        proxyPIDs = []
        try await super.tearDown()
    }

    private func busyboxLayer() throws -> Descriptor {
        let bytes = try Data(contentsOf: Vectors.shared.appendingPathComponent("fixtures/busybox/blobs/sha256/\(try busyboxManifestDigest.hex)"))
        return try XCTUnwrap(CanonicalJSON.decode(Manifest.self, from: bytes).layers.first)
    }

    func testWrongBytesFailWithADigestErrorAndStoreNothing() async throws {
        try requireRegistry(5101)
        let layer = try busyboxLayer()
        let proxy = try FaultProxy.start(port: 5111, target: 5101, mode: "corrupt", digest: layer.digest, in: root)
        proxyPIDs.append(proxy.pid)
        let service = try makeService()
        let reference = try ImageReference(parsing: "127.0.0.1:5111/busybox:latest")
        do {
            _ = try await service.pull(reference, platform: .host)
            XCTFail("a corrupted layer must fail the pull")
        } catch {
            XCTAssertTrue("\(error)".contains(layer.digest.hex), "the error names the blob: \(error)")
            XCTAssertTrue("\(error)".lowercased().contains("digest"), "a digest error: \(error)")
        }
        XCTAssertFalse(service.store.contains(layer.digest), "the corrupted blob must not be stored")
        let found = try await service.localImage(reference.description)
        XCTAssertNil(found, "nothing is tagged")
        let report = try await service.store.check()
        XCTAssertTrue(report.isHealthy, "\(report.problems)")
        let tempFiles = (try? FileManager.default.contentsOfDirectory(atPath: service.store.location.tempDirectory.path)) ?? []
        XCTAssertEqual(tempFiles, [], "no partial blob left behind")
    }

    func testDroppedConnectionIsRetriedAndThePullCompletes() async throws {
        try requireRegistry(5101)
        let layer = try busyboxLayer()
        let proxy = try FaultProxy.start(port: 5112, target: 5101, mode: "drop", digest: layer.digest, in: root)
        proxyPIDs.append(proxy.pid)
        let service = try makeService()
        let image = try await service.pull(ImageReference(parsing: "127.0.0.1:5112/busybox:latest"), platform: .host)
        XCTAssertTrue(service.store.contains(layer.digest))
        XCTAssertEqual(image.manifest.layers.first?.digest, layer.digest)
        let gets = ((try? String(contentsOfFile: proxy.log, encoding: .utf8)) ?? "").split(separator: "\n").filter { $0.contains(layer.digest.hex) }
        XCTAssertEqual(gets.count, 2, "one dropped GET, one retry: \(gets)")
        XCTAssertTrue(gets.last?.contains("bytes=") ?? false, "the retry resumes with Range: \(gets)")
        let report = try await service.store.check()
        XCTAssertTrue(report.isHealthy, "\(report.problems)")
    }
}
