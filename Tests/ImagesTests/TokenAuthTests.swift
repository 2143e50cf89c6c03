import Foundation
import TestVectors
import XCTest

/// `kiln login`, push and pull against docker-registry with token (Bearer) auth, served by a small
/// token server of our own (Python, RS256 JWTs with an `x5c` header naming a self-signed certificate
/// the registry trusts). Registry on 127.0.0.1:5107, token server on 5108.
final class TokenAuthTests: ImagesTestCase {
    static let tokenServer = #"""
import base64, json, os, sys, time, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
port, keyfile, certfile, ready = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
key = serialization.load_pem_private_key(open(keyfile, "rb").read(), None)
cert = x509.load_pem_x509_certificate(open(certfile, "rb").read())
der = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args): pass
    def do_GET(self):
        auth = self.headers.get("Authorization", "")
        if auth != "Basic " + base64.b64encode(b"kiln:s3cret").decode():
            self.send_response(401); self.send_header("Content-Length", "0"); self.end_headers(); return
        query = parse_qs(urlparse(self.path).query)
        access = []
        for scope in query.get("scope", []):
            kind, name, actions = scope.split(":")
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        claims = {"iss": "kiln-test-issuer", "sub": "kiln", "aud": query.get("service", [""])[0], "exp": now + 300,
                  "nbf": now - 10, "iat": now, "jti": str(uuid.uuid4()), "access": access}
        header = {"typ": "JWT", "alg": "RS256", "x5c": [der]}
        signing = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
        signature = key.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())
        body = json.dumps({"token": signing + "." + b64(signature), "expires_in": 300}).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
with open(ready + ".tmp", "w") as f: f.write(str(os.getpid()))
os.rename(ready + ".tmp", ready)
server.serve_forever()
"""#

    var pids: [String] = []

    override func tearDown() async throws {
        for pid in pids { shell("kill -9 \(pid)") }
        try await super.tearDown()
    }

    /// Waits for `file` to hold a pid.
    func waitForPID(_ file: String) throws -> String {
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: file) { usleep(100_000) }
        guard let pid = try? String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !pid.isEmpty else {
            throw XCTSkip("\(file) never appeared")
        }
        return pid
    }

    func testLoginPushPullWithTokenAuth() throws {
        for tool in ["python3", "openssl", "docker-registry"] where shell("command -v \(tool)").status != 0 {
            throw XCTSkip("\(tool) not installed")
        }
        guard shell("python3 -c 'import cryptography'").status == 0 else { throw XCTSkip("python3 cryptography not installed") }
        let dir = root.appendingPathComponent("token")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let key = dir.appendingPathComponent("key.pem").path, cert = dir.appendingPathComponent("cert.pem").path
        let made = shell("openssl req -x509 -newkey rsa:2048 -nodes -keyout \(quoted(key)) -out \(quoted(cert)) -days 1 -subj /CN=kiln-token")
        XCTAssertEqual(made.status, 0, made.output)
        let script = dir.appendingPathComponent("kiln_token_server.py").path
        try Data(Self.tokenServer.utf8).write(to: URL(fileURLWithPath: script))
        shell("setsid python3 \(quoted(script)) 5108 \(quoted(key)) \(quoted(cert)) \(quoted(dir.path + "/token.pid")) >\(quoted(dir.path + "/token.log")) 2>&1 &")
        pids.append(try waitForPID(dir.path + "/token.pid"))

        let config = """
        version: 0.1
        log:
          level: warn
        storage:
          filesystem:
            rootdirectory: \(dir.path)/data
        http:
          addr: 127.0.0.1:5107
        auth:
          token:
            realm: http://127.0.0.1:5108/token
            service: kiln-test-registry
            issuer: kiln-test-issuer
            rootcertbundle: \(cert)
        """
        try Data(config.utf8).write(to: dir.appendingPathComponent("config.yml"))
        shell("setsid docker-registry serve \(quoted(dir.path + "/config.yml")) >\(quoted(dir.path + "/registry.log")) 2>&1 & echo $! >\(quoted(dir.path + "/registry.pid"))")
        pids.append(try waitForPID(dir.path + "/registry.pid"))
        var up = false
        for _ in 0..<50 where !up {
            up = shell("curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:5107/v2/").output == "401"
            if !up { usleep(100_000) }
        }
        XCTAssertTrue(up, (try? String(contentsOfFile: dir.path + "/registry.log", encoding: .utf8)) ?? "")

        let env = ["KILN_ROOT": root.appendingPathComponent("store").path, "DOCKER_CONFIG": root.appendingPathComponent("docker").path]
        let kiln = { (args: String) in shell(quoted(KilnProcess.executable.path) + " " + args + " 2>&1", environment: env) }
        let bad = shell("printf wrong | \(quoted(KilnProcess.executable.path)) login -u kiln --password-stdin 127.0.0.1:5107 2>&1", environment: env)
        XCTAssertEqual(bad.status, 1, bad.output)
        let good = shell("printf s3cret | \(quoted(KilnProcess.executable.path)) login -u kiln --password-stdin 127.0.0.1:5107", environment: env)
        XCTAssertEqual(good.status, 0, good.output)
        XCTAssertTrue(good.output.contains("Login Succeeded"), good.output)

        try requireRegistry(5101)
        XCTAssertEqual(kiln("pull -q 127.0.0.1:5101/busybox").status, 0)
        XCTAssertEqual(kiln("tag 127.0.0.1:5101/busybox 127.0.0.1:5107/tok/box:1").status, 0)
        let push = kiln("push 127.0.0.1:5107/tok/box:1")
        XCTAssertEqual(push.status, 0, push.output)
        XCTAssertTrue(push.output.contains("1: digest: sha256:"), push.output)
        XCTAssertEqual(kiln("rmi 127.0.0.1:5107/tok/box:1").status, 0)
        XCTAssertEqual(kiln("rmi 127.0.0.1:5101/busybox").status, 0)
        let pull = kiln("pull 127.0.0.1:5107/tok/box:1")
        XCTAssertEqual(pull.status, 0, pull.output)
        XCTAssertTrue(pull.output.contains("Pull complete"), pull.output)

        XCTAssertEqual(kiln("logout 127.0.0.1:5107").status, 0)
        let denied = kiln("pull -q 127.0.0.1:5107/tok/box:2")
        XCTAssertEqual(denied.status, 1, denied.output)
    }
}
