import Crypto
import Foundation
import TestVectors
import XCTest

/// A real `docker-registry` (Debian's distribution 2.8) on 127.0.0.1 with a configuration a test
/// writes: TLS with a CA of the test's own, or token auth against a token server of the test's own.
/// Key material comes from `openssl`; the registry is stopped by ``stop()``. Test-only.
final class SecuredRegistry: @unchecked Sendable {
    let port: Int
    let directory: String
    var host: String { "127.0.0.1:\(port)" }

    /// Starts a registry whose `config.yml` gets `extra` (YAML at top level) appended.
    init(port: Int, extraConfig: (String) throws -> String) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/docker-registry") else { throw XCTSkip("docker-registry is not installed") }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") else { throw XCTSkip("openssl is not installed") }
        self.port = port
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-secured-registry-\(port)").path
        Self.shell("kill $(cat '\(directory)/pid' 2>/dev/null) 2>/dev/null; rm -rf '\(directory)'; mkdir -p '\(directory)/data'")
        let extra = try extraConfig(directory)
        let config = """
        version: 0.1
        log:
          level: warn
        storage:
          filesystem:
            rootdirectory: \(directory)/data
        \(extra)
        """
        try config.write(toFile: directory + "/config.yml", atomically: true, encoding: .utf8)
        Self.shell("cd '\(directory)' && setsid docker-registry serve config.yml >log 2>&1 </dev/null & echo $! >'\(directory)/pid'")
        for _ in 0..<100 {
            let probe = Self.shell("curl -sk -o /dev/null -w '%{http_code}' https://127.0.0.1:\(port)/v2/ || curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:\(port)/v2/")
            if probe.output.contains("200") || probe.output.contains("401") { return }
            usleep(100_000)
        }
        let log = (try? String(contentsOfFile: directory + "/log", encoding: .utf8)) ?? ""
        stop()
        XCTFail("docker-registry on \(port) did not start:\n\(log)")
        throw XCTSkip("registry did not start")
    }

    func stop() {
        Self.shell("kill $(cat '\(directory)/pid' 2>/dev/null) 2>/dev/null; rm -rf '\(directory)'")
    }

    /// Makes a self-signed CA (`ca.crt`, `ca.key`) and a server certificate for 127.0.0.1 signed
    /// by it (`server.crt`, `server.key`) in `directory`.
    static func makeCertificates(in directory: String) throws {
        let result = shell("""
        cd '\(directory)' && \
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj '/CN=kiln test CA' \
          -keyout ca.key -out ca.crt && \
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj '/CN=127.0.0.1' -keyout server.key -out server.csr && \
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > san.ext && \
        openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out server.crt
        """)
        if result.status != 0 { throw TestFailure("openssl failed:\n\(result.output)") }
    }

    /// Makes a self-signed token-signing certificate (`token.crt`) and its P-256 key (`token.key`, PKCS#8).
    static func makeTokenSigner(in directory: String) throws -> P256.Signing.PrivateKey {
        let result = shell("""
        cd '\(directory)' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
          -subj '/CN=kiln test token issuer' -keyout token.key -out token.crt
        """)
        if result.status != 0 { throw TestFailure("openssl failed:\n\(result.output)") }
        return try P256.Signing.PrivateKey(pemRepresentation: String(contentsOfFile: directory + "/token.key", encoding: .utf8))
    }

    /// The DER bytes of the first certificate in a PEM file.
    static func derCertificate(_ pemPath: String) throws -> Data {
        let pem = try String(contentsOfFile: pemPath, encoding: .utf8)
        let body = pem.components(separatedBy: "-----BEGIN CERTIFICATE-----")[1].components(separatedBy: "-----END CERTIFICATE-----")[0]
        guard let der = Data(base64Encoded: body.filter { !$0.isWhitespace }) else { throw TestFailure("bad PEM in \(pemPath)") }
        return der
    }

    /// Runs `/bin/sh -c` with `posix_spawn` + `waitpid` (a registry left running keeps pipes open, so
    /// `Foundation.Process` would wait forever), output through a temp file.
    @discardableResult
    static func shell(_ command: String) -> (status: Int32, output: String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-secured-\(UUID()).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let argv = ["/bin/sh", "-c", "{ \(command) ; } </dev/null >'\(log)' 2>&1"]
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        guard spawnWithDefaultSignals(&pid, "/bin/sh", &cArgs, environ) == 0 else { return (-1, "cannot spawn /bin/sh") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return (status & 0x7f == 0 ? (status >> 8) & 0xff : -1, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Issues the JSON Web Tokens distribution's `token` auth accepts: ES256, the signing certificate in
/// the `x5c` header (the registry checks it against its `rootcertbundle`), `access` from the
/// requested scope. Grants everything asked for to `user:password`, nothing to anyone else.
struct TokenIssuer: @unchecked Sendable {  // the key is only read
    let key: P256.Signing.PrivateKey
    let certificate: Data
    let issuer = "kiln-test-issuer"
    let service = "kiln-test-registry"
    let user: String
    let password: String

    func answer(_ request: FakeRegistry.Request) -> FakeRegistry.Response {
        let expected = "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
        let authorized = request.headers["authorization"] == expected
        guard request.query["service"]?.first == service else { return .init(status: 400) }
        let access: [[String: Any]] = authorized ? (request.query["scope"] ?? []).compactMap { scope in
            let parts = scope.split(separator: ":").map(String.init)
            guard parts.count == 3 else { return nil }
            return ["type": parts[0], "name": parts[1], "actions": parts[2].split(separator: ",").map(String.init)]
        } : []
        if request.headers["authorization"] != nil && !authorized { return .init(status: 401) }
        let now = Int(Date().timeIntervalSince1970)
        let claims: [String: Any] = ["iss": issuer, "sub": authorized ? user : "", "aud": service, "exp": now + 300,
                                     "nbf": now - 10, "iat": now, "jti": UUID().uuidString, "access": access]
        let header: [String: Any] = ["typ": "JWT", "alg": "ES256", "x5c": [certificate.base64EncodedString()]]
        do {
            let signingInput = try Self.segment(header) + "." + Self.segment(claims)
            let signature = try key.signature(for: Data(signingInput.utf8)).rawRepresentation
            let token = signingInput + "." + Self.base64URL(signature)
            let body = try JSONSerialization.data(withJSONObject: ["token": token, "expires_in": 300])
            return .init(status: 200, headers: [("Content-Type", "application/json")], body: body)
        } catch {
            return .init(status: 500)
        }
    }

    static func segment(_ object: [String: Any]) throws -> String {
        base64URL(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// The issuer a token server answers with, set once the registry's key material exists.
final class TokenIssuerSlot: @unchecked Sendable {
    private let lock = NSLock()
    private var issuer: TokenIssuer?
    var value: TokenIssuer? {
        get { lock.withLock { issuer } }
        set { lock.withLock { issuer = newValue } }
    }
}
