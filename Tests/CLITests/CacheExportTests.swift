import Foundation
import TestVectors
import XCTest

/// `--cache-to` / `--cache-from` across two kiln stores (issue 18), through the kiln binary, a real
/// registry (shared/tools/local-registry) and a proxy in front of it that logs every request:
/// store A exports the cache of a build whose RUNs are slow; store B, with a fresh copy of the
/// context elsewhere (new mtimes), runs no RUN, fetches no layer while building, and its push sends
/// no layer blob; a changed file re-runs exactly its steps; a secret's value is in no pushed blob.
final class CacheExportTests: XCTestCase {
    nonisolated(unsafe) static var ports: (registry: Int, proxy: Int, pid: String)?
    var scratch: URL!
    var kiln: String { KilnProcess.executable.path }

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-cache-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    override class func tearDown() {
        if let ports {
            _ = try? HostileInputTests.runProcess("/bin/kill", [ports.pid])
            _ = try? HostileInputTests.runProcess(Vectors.shared.appendingPathComponent("tools/local-registry").path, ["stop", "\(ports.registry)"])
        }
        super.tearDown()
    }

    // The RUN output markers are computed by the shell (`RAN-$((1+1))-A` prints RAN-2-A), so a
    // step title (which shows the command) never contains them: only a step that ran prints one.
    static let dockerfile = """
        FROM {BASE}
        COPY a.txt /a.txt
        RUN sleep 1 && cat /a.txt > /a.copy && echo RAN-$((1+1))-A
        COPY b.txt /b.txt
        RUN sleep 1 && cat /b.txt > /b.copy && echo RAN-$((1+1))-B
        WORKDIR /work
        RUN echo RAN-$((1+1))-C | tee /c.txt
        """

    func testTwoStoresShareARegistryCacheAndAFullyCachedPushSendsNoLayer() throws {
        let (registry, proxy) = try startRegistryAndProxy()
        let host = "127.0.0.1:\(proxy)"
        let ctxA = try context("ctx-a", base: "\(host)/busybox:latest", a: "alpha\n", b: "beta\n")
        let cacheRef = "\(host)/cache/app:buildcache"
        let storeA = scratch.appendingPathComponent("store-a").path
        let first = try build(storeA, ctxA, ["--cache-to", "type=registry,ref=\(cacheRef),mode=max"])
        XCTAssertEqual(first.status, 0, first.stderr)
        for marker in ["RAN-2-A", "RAN-2-B", "RAN-2-C"] { XCTAssertTrue(first.stderr.contains(marker), "store A did not run \(marker)") }

        // Store B: another path, files written again (new mtimes), nothing of store A.
        let ctxB = try context("elsewhere/ctx-b", base: "\(host)/busybox:latest", a: "alpha\n", b: "beta\n")
        let storeB = scratch.appendingPathComponent("store-b").path
        try truncateLog()
        let second = try build(storeB, ctxB, ["--cache-from", "type=registry,ref=\(cacheRef)", "-t", "\(host)/other/app:b", "--push"])
        XCTAssertEqual(second.status, 0, second.stderr)
        for marker in ["RAN-2-A", "RAN-2-B", "RAN-2-C"] { XCTAssertFalse(second.stderr.contains(marker), "store B ran \(marker):\n\(second.stderr)") }
        let manifest = try curlJSON("http://127.0.0.1:\(registry)/v2/other/app/manifests/b")
        let layers = (manifest["layers"] as? [[String: Any]] ?? []).compactMap { $0["digest"] as? String }
        XCTAssertEqual(layers.count, 7, "busybox + COPY, RUN, COPY, RUN, WORKDIR, RUN = \(layers)")
        let log = try requestLog()
        XCTAssertTrue(log.contains { $0.hasPrefix("PUT /v2/other/app/manifests/b") }, "the proxy saw no push: \(log)")
        // Nothing needed the files of any cached layer: the second COPY was found by its alias
        // key (computed without the filesystem below it), the RUNs and the WORKDIR by their keys.
        for digest in layers.dropFirst() {
            XCTAssertFalse(log.contains { $0.hasPrefix("GET ") && $0.contains("/blobs/\(digest)") },
                           "store B fetched cached layer \(digest) although nothing needed its files")
        }
        let uploads = log.filter { $0.hasPrefix("PATCH ") || ($0.hasPrefix("PUT ") && $0.contains("/blobs/uploads/")) }
        for digest in layers {
            XCTAssertFalse(uploads.contains { $0.contains(digest) }, "the push uploaded layer \(digest): \(uploads)")
        }
        XCTAssertFalse(log.contains { $0.hasPrefix("PATCH ") }, "a chunked layer upload: \(log)")

        // A changed file re-runs exactly the steps after it (fresh store C, cache from A).
        let ctxC = try context("ctx-c", base: "\(host)/busybox:latest", a: "alpha\n", b: "beta changed\n")
        let third = try build(scratch.appendingPathComponent("store-c").path, ctxC, ["--cache-from", "type=registry,ref=\(cacheRef)"])
        XCTAssertEqual(third.status, 0, third.stderr)
        XCTAssertFalse(third.stderr.contains("RAN-2-A"), third.stderr)
        XCTAssertTrue(third.stderr.contains("RAN-2-B"), third.stderr)
        XCTAssertTrue(third.stderr.contains("RAN-2-C"), third.stderr)
        // Its output image is complete in the store (the cached layer was fetched for it).
        let check = try HostileInputTests.runProcess(kiln, ["system", "check", "--root", scratch.appendingPathComponent("store-c").path])
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr)
    }

    func testAFullyCachedMultistageBuildFetchesNoLayerOfEitherStage() throws {
        let (registry, proxy) = try startRegistryAndProxy()
        let host = "127.0.0.1:\(proxy)"
        let dockerfile = """
            FROM \(host)/busybox:latest AS build
            COPY a.txt /a.txt
            RUN sleep 1 && cat /a.txt > /built && echo RAN-$((1+1))-BUILD
            FROM \(host)/busybox:latest
            COPY --from=build /built /app/built
            RUN cat /app/built && echo RAN-$((1+1))-FINAL
            """
        func context(_ name: String) throws -> URL {
            let dir = scratch.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try Data(dockerfile.utf8).write(to: dir.appendingPathComponent("Dockerfile"))
            try Data("multi\n".utf8).write(to: dir.appendingPathComponent("a.txt"))
            return dir
        }
        let cacheRef = "\(host)/cache/multi:c"
        let first = try build(scratch.appendingPathComponent("m1").path, try context("m-a"), ["--cache-to", "type=registry,ref=\(cacheRef),mode=max"])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stderr.contains("RAN-2-BUILD") && first.stderr.contains("RAN-2-FINAL"), first.stderr)
        // mode=min (the default): only the final image's layers (a rebuild in store A, all cached).
        let min = try build(scratch.appendingPathComponent("m1").path, try context("m-a"), ["--cache-to", "type=registry,ref=\(host)/cache/multi:min"])
        XCTAssertEqual(min.status, 0, min.stderr)
        let minIndex = try curlJSON("http://127.0.0.1:\(registry)/v2/cache/multi/manifests/min", accept: "application/vnd.oci.image.index.v1+json")
        XCTAssertEqual((minIndex["manifests"] as? [[String: Any]] ?? []).filter { ($0["mediaType"] as? String)?.contains("layer") == true }.count,
                       2, "COPY --from and RUN of the final stage: \(minIndex)")
        try truncateLog()
        let second = try build(scratch.appendingPathComponent("m2").path, try context("m-b"),
                               ["--cache-from", "type=registry,ref=\(cacheRef)", "-t", "\(host)/multi/app:1", "--push"])
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertFalse(second.stderr.contains("RAN-2-BUILD") || second.stderr.contains("RAN-2-FINAL"), second.stderr)
        let index = try curlJSON("http://127.0.0.1:\(registry)/v2/cache/multi/manifests/c", accept: "application/vnd.oci.image.index.v1+json")
        let cached = (index["manifests"] as? [[String: Any]] ?? [])
            .filter { ($0["mediaType"] as? String)?.contains("layer") == true }.compactMap { $0["digest"] as? String }
        XCTAssertEqual(cached.count, 4, "COPY, RUN of the build stage; COPY --from, RUN of the final one: \(index)")
        let log = try requestLog()
        for digest in cached {
            XCTAssertFalse(log.contains { $0.hasPrefix("GET ") && $0.contains("/blobs/\(digest)") }, "fetched cached layer \(digest): \(log)")
        }
    }

    func testCacheMountsTravelWithCacheMountsTrue() throws {
        let (_, proxy) = try startRegistryAndProxy()
        let host = "127.0.0.1:\(proxy)"
        let ctx = scratch.appendingPathComponent("ctx-mounts")
        try FileManager.default.createDirectory(at: ctx, withIntermediateDirectories: true)
        // The build arg changes the RUN's key, so store B runs it: only the cache mount can carry
        // the downloaded file over.
        try Data("""
            FROM \(host)/busybox:latest
            ARG V
            RUN --mount=type=cache,id=downloads,target=/cache sh -c 'if [ -f /cache/pkg ]; then echo FOUND-$((1+1)) $(cat /cache/pkg); else echo EMPTY-$((1+1)); echo pkg-data > /cache/pkg; fi; echo $V'
            """.utf8).write(to: ctx.appendingPathComponent("Dockerfile"))
        let cacheRef = "\(host)/cache/mounts:c"
        let first = try build(scratch.appendingPathComponent("c1").path, ctx,
                              ["--build-arg", "V=1", "--cache-to", "type=registry,ref=\(cacheRef),mode=max,cache-mounts=true"])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stderr.contains("EMPTY-2"), first.stderr)
        let second = try build(scratch.appendingPathComponent("c2").path, ctx, ["--build-arg", "V=2", "--cache-from", "type=registry,ref=\(cacheRef)"])
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertTrue(second.stderr.contains("FOUND-2 pkg-data"), second.stderr)
        // Without cache-mounts=true nothing of the mount travels.
        let plainRef = "\(host)/cache/mounts:plain"
        let third = try build(scratch.appendingPathComponent("c3").path, ctx, ["--build-arg", "V=3", "--cache-to", "type=registry,ref=\(plainRef),mode=max"])
        XCTAssertEqual(third.status, 0, third.stderr)
        let fourth = try build(scratch.appendingPathComponent("c4").path, ctx, ["--build-arg", "V=4", "--cache-from", "type=registry,ref=\(plainRef)"])
        XCTAssertTrue(fourth.stderr.contains("EMPTY-2"), fourth.stderr)
    }

    func testSecretValueIsInNoPushedBlobAndAnotherStoreRunsTheSecretStepAgain() throws {
        let (registry, proxy) = try startRegistryAndProxy()
        let host = "127.0.0.1:\(proxy)"
        let secret = "kiln-cache-secret-\(UUID().uuidString)"
        let secretFile = scratch.appendingPathComponent("secret")
        try Data(secret.utf8).write(to: secretFile)
        let ctx = scratch.appendingPathComponent("ctx-secret")
        try FileManager.default.createDirectory(at: ctx, withIntermediateDirectories: true)
        try Data("""
            FROM \(host)/busybox:latest
            RUN --mount=type=secret,id=tok wc -c < /run/secrets/tok > /len && echo RAN-$((1+1))-S
            RUN echo RAN-$((1+1))-T > /t
            """.utf8).write(to: ctx.appendingPathComponent("Dockerfile"))
        let cacheRef = "\(host)/cache/secret:c"
        let args = ["--secret", "id=tok,src=\(secretFile.path)"]
        let first = try build(scratch.appendingPathComponent("s1").path, ctx,
                              args + ["--cache-to", "type=registry,ref=\(cacheRef),mode=max", "-t", "\(host)/secret/app:1", "--push"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let data = KilnTestRegistryDir.data(registry)
        let leaked = try bash("find '\(data)' -type f -name data | while read f; do if zcat -f \"$f\" 2>/dev/null | grep -q -a -e '\(secret)'; then echo \"$f\"; fi; done")
        XCTAssertEqual(leaked.trimmingCharacters(in: .whitespacesAndNewlines), "", "the secret's value is in pushed blobs")
        XCTAssertTrue(try bash("find '\(data)' -type f -name data | wc -l").trimmingCharacters(in: .whitespacesAndNewlines) != "0")
        // Another store has another secret key: the secret step's key differs, so it runs again
        // (and so does the step after it, whose key follows it).
        let second = try build(scratch.appendingPathComponent("s2").path, ctx, args + ["--cache-from", "type=registry,ref=\(cacheRef)"])
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertTrue(second.stderr.contains("RAN-2-S"), second.stderr)
    }

    func testLocalAndInlineCachesAreUsedByAnotherStore() throws {
        let (_, proxy) = try startRegistryAndProxy()
        let host = "127.0.0.1:\(proxy)"
        let ctx = try context("ctx-local", base: "\(host)/busybox:latest", a: "local a\n", b: "local b\n")
        let dir = scratch.appendingPathComponent("cache-dir").path
        let first = try build(scratch.appendingPathComponent("l1").path, ctx,
                              ["--cache-to", "type=local,dest=\(dir),mode=max", "--cache-to", "type=inline", "-t", "\(host)/inline/app:1", "--push"])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/index.json"))
        let local = try build(scratch.appendingPathComponent("l2").path, try context("ctx-local2", base: "\(host)/busybox:latest", a: "local a\n", b: "local b\n"),
                              ["--cache-from", "type=local,src=\(dir)"])
        XCTAssertEqual(local.status, 0, local.stderr)
        for marker in ["RAN-2-A", "RAN-2-B", "RAN-2-C"] { XCTAssertFalse(local.stderr.contains(marker), "type=local: ran \(marker)\n\(local.stderr)") }
        let inline = try build(scratch.appendingPathComponent("l3").path, ctx, ["--cache-from", "\(host)/inline/app:1"])
        XCTAssertEqual(inline.status, 0, inline.stderr)
        for marker in ["RAN-2-A", "RAN-2-B", "RAN-2-C"] { XCTAssertFalse(inline.stderr.contains(marker), "inline: ran \(marker)\n\(inline.stderr)") }
    }

    func testUnreachableOrForeignCacheRefsAreWarnings() throws {
        let (_, proxy) = try startRegistryAndProxy()
        let host = "127.0.0.1:\(proxy)"
        let ctx = try context("ctx-warn", base: "\(host)/busybox:latest", a: "w a\n", b: "w b\n")
        let dead = "127.0.0.1:1/nothing/here:c"
        let result = try build(scratch.appendingPathComponent("w1").path, ctx,
                               ["--cache-from", "type=registry,ref=\(dead)", "--cache-from", "type=registry,ref=\(host)/busybox:latest",
                                "--cache-to", "type=registry,ref=\(dead)"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("WARNING: --cache-from type=registry,ref=\(dead)"), result.stderr)
        XCTAssertTrue(result.stderr.contains("WARNING: --cache-from type=registry,ref=\(host)/busybox:latest"), result.stderr)
        XCTAssertTrue(result.stderr.contains("not a build cache"), result.stderr)
        XCTAssertTrue(result.stderr.contains("WARNING: --cache-to type=registry,ref=\(dead)"), result.stderr)
        let strict = try build(scratch.appendingPathComponent("w1").path, ctx, ["--cache-to", "type=registry,ref=\(dead),ignore-error=false"])
        XCTAssertNotEqual(strict.status, 0)
        XCTAssertTrue(strict.stderr.contains("exporting the build cache failed"), strict.stderr)
    }

    // MARK: - helpers

    private func build(_ store: String, _ ctx: URL, _ extra: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try HostileInputTests.runProcess(kiln, ["build", "--root", store, "--progress", "plain"] + extra + [ctx.path])
    }

    private func context(_ name: String, base: String, a: String, b: String) throws -> URL {
        let dir = scratch.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data(Self.dockerfile.replacingOccurrences(of: "{BASE}", with: base).utf8).write(to: dir.appendingPathComponent("Dockerfile"))
        try Data(a.utf8).write(to: dir.appendingPathComponent("a.txt"))
        try Data(b.utf8).write(to: dir.appendingPathComponent("b.txt"))
        return dir
    }

    private var logPath: String { FileManager.default.temporaryDirectory.appendingPathComponent("kiln-cache-proxy-\(Self.ports?.proxy ?? 0).log").path }

    private func truncateLog() throws { try Data().write(to: URL(fileURLWithPath: logPath)) }

    private func requestLog() throws -> [String] {
        ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    private func curlJSON(_ url: String, accept: String = "application/vnd.oci.image.manifest.v1+json") throws -> [String: Any] {
        let out = try bash("curl -s -H 'Accept: \(accept)' -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' '\(url)'")
        return (try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any]) ?? [:]
    }

    private func freePort() throws -> Int {
        Int(try bash("python3 -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\",0)); print(s.getsockname()[1])'")
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    /// A seeded local registry and the logging proxy in front of it, once per run.
    private func startRegistryAndProxy() throws -> (registry: Int, proxy: Int) {
        if let ports = Self.ports { return (ports.registry, ports.proxy) }
        guard try bash("command -v python3 zcat curl >/dev/null && echo ok").contains("ok") else { throw XCTSkip("python3, zcat or curl missing") }
        let registry = try freePort()
        let tool = Vectors.shared.appendingPathComponent("tools/local-registry").path
        let started = try HostileInputTests.runProcess(tool, ["start", "\(registry)"])
        guard started.status == 0, try HostileInputTests.runProcess(tool, ["seed", "\(registry)"]).status == 0 else {
            throw XCTSkip("local registry unavailable: \(started.stderr)")
        }
        let proxy = try freePort()
        let script = scratch.deletingLastPathComponent().appendingPathComponent("kiln-cache-proxy-\(proxy).py")
        try Data(LoggingProxy.script.utf8).write(to: script)
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-cache-proxy-\(proxy).log").path
        _ = try bash("setsid python3 '\(script.path)' \(proxy) \(registry) '\(log)' >/dev/null 2>&1 & echo")
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: log + ".ready") { usleep(100_000) }
        guard let pid = try? String(contentsOfFile: log + ".ready", encoding: .utf8), !pid.isEmpty else {
            throw XCTSkip("the logging proxy did not start on port \(proxy)")
        }
        Self.ports = (registry, proxy, pid)
        return (registry, proxy)
    }

    private func bash(_ script: String) throws -> String {
        let result = try HostileInputTests.runProcess("/bin/bash", ["-c", script])
        return result.stdout + result.stderr
    }
}

/// Where shared/tools/local-registry keeps a registry's data.
enum KilnTestRegistryDir {
    static func data(_ port: Int) -> String {
        let base = ProcessInfo.processInfo.environment["KILN_TEST_TMP"] ?? "/tmp"
        return "\(base)/kiln-registry-\(port)/data"
    }
}

/// An HTTP proxy that forwards every request to the registry unchanged (Host header included, so
/// upload locations point back at the proxy) and logs `METHOD PATH BODY-BYTES` per request.
enum LoggingProxy {
    static let script = #"""
import http.client, http.server, os, sys, threading
port, target, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
lock = threading.Lock()
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args): pass
    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""): pass
                    return data
                data += self.rfile.read(size); self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else None
    def forward(self):
        data = self.body()
        with lock:
            with open(log, "a") as f: f.write("%s %s %d\n" % (self.command, self.path, len(data or b"")))
        conn = http.client.HTTPConnection("127.0.0.1", target)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "transfer-encoding", "content-length")}
        conn.request(self.command, self.path, body=data, headers=headers)
        resp = conn.getresponse(); out = resp.read()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() in ("connection", "transfer-encoding"): continue
            if k.lower() == "content-length" and self.command != "HEAD": continue
            self.send_header(k, v)
        if self.command != "HEAD": self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        if self.command != "HEAD": self.wfile.write(out)
    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = forward
server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
with open(log + ".ready", "w") as f: f.write(str(os.getpid()))
server.serve_forever()
"""#
}
