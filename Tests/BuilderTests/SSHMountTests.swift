@testable import Builder
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `RUN --mount=type=ssh` fed by `kiln build --ssh`.
final class SSHMountTests: BuilderTestCase {
    /// A listening unix socket standing in for an ssh agent: answers every connection with "agent".
    private func fakeAgent() throws -> (path: String, fd: Int32) {
        let path = root.appendingPathComponent("agent.sock").path
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = try SSHForwarding.unixAddress(path)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        XCTAssertEqual(bound, 0)
        XCTAssertEqual(listen(fd, 4), 0)
        Thread {
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { return }
                _ = "agent".withCString { Glibc.write(client, $0, 5) }
                close(client)
            }
        }.start()
        return (path, fd)
    }

    // Dockerfile reference (RUN --mount=type=ssh): the socket is mounted at
    // /run/buildkit/ssh_agent.0 by default with SSH_AUTH_SOCK pointing at it, mode 0600.
    func testSSHSocketIsForwarded() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        let agent = try fakeAgent()
        defer { shutdown(agent.fd, Int32(SHUT_RDWR)); close(agent.fd) }
        let dockerfile = """
        FROM \(base)
        RUN --mount=type=ssh sh -c 'test -S "$SSH_AUTH_SOCK" && echo "sock=$SSH_AUTH_SOCK" && stat -c "mode %a %u" "$SSH_AUTH_SOCK"'
        RUN --mount=type=ssh,id=other,target=/run/my.sock,mode=0666,uid=1000 sh -c 'stat -c "custom %a %u" /run/my.sock; echo "env=$SSH_AUTH_SOCK"'
        RUN --mount=type=ssh,id=absent sh -c 'echo "absent=${SSH_AUTH_SOCK:-unset}"'
        """
        let (_, lines) = try await build(dockerfile) {
            $0.ssh["default"] = try! SSHSpec(parsing: "default=\(agent.path)")
            $0.ssh["other"] = try! SSHSpec(parsing: "other=\(agent.path)")
        }
        let out = outputLines(lines)
        for expected in ["sock=/run/buildkit/ssh_agent.0", "mode 600 0", "custom 666 1000", "env=/run/my.sock", "absent=unset"] {
            XCTAssertTrue(out.contains(expected), "\(expected) missing in:\n" + lines.joined(separator: "\n"))
        }
        let error = try await buildError("FROM \(base)\nRUN --mount=type=ssh,required=true true\n")
        XCTAssertEqual(error.range?.start.line, 2)
        XCTAssertTrue(error.message.contains("default"), error.message)
    }

    // The forwarding itself: a connection to kiln's socket reaches the agent.
    func testForwardingReachesTheAgent() async throws {
        let agent = try fakeAgent()
        defer { shutdown(agent.fd, Int32(SHUT_RDWR)); close(agent.fd) }
        let forwarding = try await SSHForwarding.start(try SSHSpec(parsing: "default=\(agent.path)"),
                                                       directory: root.appendingPathComponent("fwd").path, mode: 0o600, uid: 0, gid: 0)
        let fd = try XCTUnwrap(SSHForwarding.connect(to: forwarding.socketPath))
        var buffer = [UInt8](repeating: 0, count: 16)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 16) }
        close(fd)
        XCTAssertEqual(String(decoding: buffer[0..<max(0, n)], as: UTF8.self), "agent")
        await forwarding.stop()
    }

    // `--ssh default=KEYFILE`: kiln starts an ssh-agent holding the key (BuildKit's sshprovider
    // loads key files into an in-memory agent); `ssh-add -l` through the forwarded socket lists it.
    func testKeyFileIsLoadedIntoAnAgent() async throws {
        guard let keygen = HelperProcess.find("ssh-keygen"), let add = HelperProcess.find("ssh-add") else {
            throw XCTSkip("openssh-client is not installed")
        }
        let key = root.appendingPathComponent("id_ed25519").path
        let status = try await HelperProcess.run(keygen, ["-q", "-t", "ed25519", "-N", "", "-C", "kiln-test-key", "-f", key])
        XCTAssertEqual(status, 0)
        let forwarding = try await SSHForwarding.start(try SSHSpec(parsing: "default=\(key)"),
                                                       directory: root.appendingPathComponent("fwd").path, mode: 0o600, uid: 0, gid: 0)
        let listed = try await HelperProcess.run(add, ["-l"], environment: ["SSH_AUTH_SOCK": forwarding.socketPath])
        XCTAssertEqual(listed, 0)  // 1 would mean "The agent has no identities", 2 no agent
        await forwarding.stop()
    }
}
