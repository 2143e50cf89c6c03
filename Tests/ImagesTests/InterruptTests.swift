import Foundation
import ImageSpec
import TestVectors
import XCTest

/// A raw TCP proxy that throttles registry responses and counts blob GETs, so a pull can be
/// killed half way and the requests a pull makes can be counted.
enum ThrottleProxy {
    static let script = #"""
import os, socket, sys, threading, time
listen_port, target_port, rate, log = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
lock = threading.Lock()
def pipe(src, dst, throttle, record):
    try:
        while True:
            data = src.recv(16384)
            if not data: break
            if record:
                for line in data.split(b"\r\n"):
                    if line.startswith(b"GET /v2/") and b"/blobs/" in line:
                        with lock:
                            with open(log, "a") as f: f.write(line.decode() + "\n")
            if throttle: time.sleep(len(data) / rate)
            dst.sendall(data)
    except OSError: pass
    finally:
        for s in (src, dst):
            try: s.shutdown(socket.SHUT_RDWR)
            except OSError: pass
server = socket.socket(); server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", listen_port)); server.listen(64)
with open(log + ".tmp", "w") as f: f.write(str(os.getpid()))
os.rename(log + ".tmp", log + ".ready")
while True:
    client, _ = server.accept()
    upstream = socket.create_connection(("127.0.0.1", target_port))
    threading.Thread(target=pipe, args=(client, upstream, False, True), daemon=True).start()
    threading.Thread(target=pipe, args=(upstream, client, True, False), daemon=True).start()
"""#

    /// Starts the proxy on `port` in front of `target`; returns its pid and request log path.
    static func start(port: Int, target: Int, bytesPerSecond: Int, in dir: URL) throws -> (pid: String, log: String) {
        guard shell("command -v python3").status == 0 else { throw XCTSkip("python3 not installed") }
        let scriptPath = dir.appendingPathComponent("proxy.py").path
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data(script.utf8).write(to: URL(fileURLWithPath: scriptPath))
        let log = dir.appendingPathComponent("requests-\(port).log").path
        shell("setsid python3 \(quoted(scriptPath)) \(port) \(target) \(bytesPerSecond) \(quoted(log)) >/dev/null 2>&1 &")
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: log + ".ready") { usleep(100_000) }
        // The proxy writes its own pid once listening (python3 may be a wrapper script's child).
        guard let pid = try? String(contentsOfFile: log + ".ready", encoding: .utf8), !pid.isEmpty else {
            throw XCTSkip("the test proxy did not start on port \(port)")
        }
        return (pid, log)
    }

    static func blobGets(_ log: String) -> [String] {
        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }
}

final class InterruptTests: ImagesTestCase {
    var proxyPID: String?

    override func tearDown() async throws {
        if let proxyPID { shell("kill -9 \(proxyPID)") }
        try await super.tearDown()
    }

    func kiln(_ arguments: [String]) -> (status: Int32, output: String) {
        let command = ([KilnProcess.executable.path] + arguments).map(quoted).joined(separator: " ")
        return shell(command, environment: ["KILN_ROOT": root.appendingPathComponent("store").path])
    }

    /// SIGKILL during a (throttled) pull leaves a store that `kiln system check` accepts, and the
    /// next pull completes; a third pull fetches no blob at all.
    func testKilledPullLeavesAHealthyStore() throws {
        try requireRegistry(5104)
        let proxy = try ThrottleProxy.start(port: 5105, target: 5104, bytesPerSecond: 300_000, in: root.appendingPathComponent("proxy"))
        proxyPID = proxy.pid
        let reference = "127.0.0.1:5105/busybox:latest"
        let command = ([KilnProcess.executable.path, "pull", "-q", reference]).map(quoted).joined(separator: " ")
        let killed = shell("\(command) & pid=$!; sleep 1; kill -9 $pid; wait $pid; echo status=$?",
                           environment: ["KILN_ROOT": root.appendingPathComponent("store").path])
        XCTAssertTrue(killed.output.contains("status=137"), "the pull finished before it was killed: \(killed.output)")
        let temp = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("store/kiln/tmp").path)
        XCTAssertFalse(temp.isEmpty, "expected a partial download in kiln/tmp")

        let check = kiln(["system", "check"])
        XCTAssertEqual(check.status, 0, check.output)
        let images = kiln(["images", "-q"])
        XCTAssertEqual(images.output, "")

        let pull = kiln(["pull", "-q", reference])
        XCTAssertEqual(pull.status, 0, pull.output)
        XCTAssertEqual(kiln(["system", "check"]).status, 0)

        let before = ThrottleProxy.blobGets(proxy.log).count
        XCTAssertEqual(kiln(["pull", "-q", reference]).status, 0)
        XCTAssertEqual(ThrottleProxy.blobGets(proxy.log).count, before, "an up-to-date pull must fetch no blob")
    }

    /// A derived image pushed with one extra layer: pulling it into a store that has its base
    /// GETs exactly one layer blob plus the config.
    func testSecondPullGetsOnlyNewLayerBlobs() async throws {
        try requireRegistry(5104)
        let proxy = try ThrottleProxy.start(port: 5106, target: 5104, bytesPerSecond: 100_000_000, in: root.appendingPathComponent("proxy"))
        proxyPID = proxy.pid
        let builder = try makeService("builder")
        let base = try await builder.pull(ImageReference(parsing: "127.0.0.1:5104/busybox:latest"), platform: .host)
        let target = try ImageReference(parsing: "127.0.0.1:5104/derived:v1")
        let derived = try await makeDerivedImage(builder, base: base, reference: target)
        _ = try await builder.push(derived, to: target)

        let consumer = try makeService("consumer")
        _ = try await consumer.pull(ImageReference(parsing: "127.0.0.1:5106/busybox:latest"), platform: .host)
        let before = ThrottleProxy.blobGets(proxy.log)
        _ = try await consumer.pull(ImageReference(parsing: "127.0.0.1:5106/derived:v1"), platform: .host)
        let gets = Array(ThrottleProxy.blobGets(proxy.log).dropFirst(before.count))
        XCTAssertEqual(gets.count, 2, "\(gets)")
        XCTAssertTrue(gets.contains { $0.contains(derived.manifest.layers.last!.digest.description) }, "\(gets)")
        XCTAssertTrue(gets.contains { $0.contains(derived.configDescriptor.digest.description) }, "\(gets)")
    }
}
