import AsyncHTTPClient
import Distribution
import Foundation
import ImageSpec
import Images
import XCTest

/// Push and pull over TLS with a self-signed CA (openssl), the CA found the way Docker finds it:
/// `<certs.d>/HOST:PORT/ca.crt`. The registry listens on 127.0.0.2:5109 — loopback, but not a
/// name kiln reaches over plain HTTP — and the test's certs.d lives in its temp folder.
final class TLSRegistryTests: ImagesTestCase {
    var pid: String?

    override func tearDown() async throws {
        if let pid { shell("kill -9 \(pid)") }
        try await super.tearDown()
    }

    func testPushAndPullOverTLSWithCustomCA() async throws {
        for tool in ["openssl", "docker-registry", "curl"] where shell("command -v \(tool)").status != 0 {
            throw XCTSkip("\(tool) not installed")
        }
        let host = "127.0.0.2:5109"
        let dir = root.appendingPathComponent("tls")
        let certsD = dir.appendingPathComponent("certs.d")
        try FileManager.default.createDirectory(at: certsD.appendingPathComponent(host), withIntermediateDirectories: true)
        let d = quoted(dir.path)
        let made = shell("""
        cd \(d) && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 1 -subj /CN=kiln-test-ca \
          && openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.2 \
          && printf 'subjectAltName=IP:127.0.0.2\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > ext.cnf \
          && openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 1 -extfile ext.cnf
        """)
        XCTAssertEqual(made.status, 0, made.output)
        try FileManager.default.copyItem(at: dir.appendingPathComponent("ca.crt"), to: certsD.appendingPathComponent("\(host)/ca.crt"))
        let config = """
        version: 0.1
        log:
          level: warn
        storage:
          filesystem:
            rootdirectory: \(dir.path)/data
        http:
          addr: \(host)
          tls:
            certificate: \(dir.path)/server.crt
            key: \(dir.path)/server.key
        """
        try Data(config.utf8).write(to: dir.appendingPathComponent("config.yml"))
        shell("setsid docker-registry serve \(quoted(dir.path + "/config.yml")) >\(quoted(dir.path + "/registry.log")) 2>&1 & echo $! >\(quoted(dir.path + "/registry.pid"))")
        pid = try? String(contentsOfFile: dir.path + "/registry.pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        var up = false
        for _ in 0..<50 where !up {
            up = shell("curl -s --cacert \(quoted(dir.path + "/ca.crt")) -o /dev/null -w '%{http_code}' https://\(host)/v2/").output == "200"
            if !up { usleep(100_000) }
        }
        guard up else { throw XCTSkip("TLS registry did not start: \((try? String(contentsOfFile: dir.path + "/registry.log", encoding: .utf8)) ?? "")") }

        try requireRegistry(5101)
        let source = try makeService("source")
        let image = try await source.pull(ImageReference(parsing: "127.0.0.1:5101/busybox"), platform: .host)
        let target = try ImageReference(parsing: "\(host)/tls/box:1")

        // Without the CA the certificate is refused at once (no retries of a failed handshake), with
        // a message that says what to do.
        let untrusting = RegistryClient(configuration: .init(transport: RegistryTransport(certsDirectories: [])))
        clients.append(untrusting)
        let started = Date()
        do {
            _ = try await ImageService(store: source.store, registry: untrusting, progress: SilentProgress()).push(image, to: target)
            XCTFail("a push without the CA must fail certificate verification")
        } catch let error as RegistryError {
            XCTAssertEqual(error.kind, .transport, "\(error)")
            XCTAssertTrue(error.message.contains("TLS with \(host) failed"), "\(error)")
            XCTAssertTrue(error.message.contains("certs.d/\(host)/ca.crt"), "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 20, "a TLS failure is not retried until timeouts")

        let trusted = RegistryClient(configuration: .init(transport: RegistryTransport(certsDirectories: [certsD.path])))
        clients.append(trusted)
        let pushed = try await ImageService(store: source.store, registry: trusted, progress: SilentProgress()).push(image, to: target)
        XCTAssertEqual(pushed, image.manifestDescriptor.digest)
        let consumer = try makeService("consumer")
        let pulled = try await ImageService(store: consumer.store, registry: trusted, progress: SilentProgress()).pull(target, platform: .host)
        XCTAssertEqual(pulled.id, image.id)
    }
}
