import Builder
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Issue 14: a RUN step is untrusted code. By default it gets a network namespace of the build's own (pasta:
/// loopback plus outbound connectivity, the host's loopback out of reach), Docker's seccomp profile, and
/// `--security=insecure` only behind `--allow security.insecure`. Every server here listens on the host's
/// 127.0.0.1; no packet leaves the machine.
final class RunSandboxTests: BuilderTestCase {
    override func setUp() async throws {
        try await super.setUp()
        try requireContainers()
        guard ["/usr/bin/pasta", "/usr/local/bin/pasta"].contains(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("pasta is not installed (Debian package passt)")
        }
    }

    /// A server on the host's 127.0.0.1 answering "hello-from-host" to every connection, until `stop()`.
    final class LoopbackServer: @unchecked Sendable {
        let fd: Int32
        let port: UInt16
        private(set) var connections = 0
        private let lock = NSLock()

        init() throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            self.fd = fd
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
            }
            guard bound, listen(fd, 8) == 0 else { throw XCTSkip("cannot listen on 127.0.0.1: \(errno)") }
            port = UInt16(bigEndian: address.sin_port)
            let listener = fd
            Thread { [self] in
                while true {
                    let connection = accept(listener, nil, nil)
                    if connection < 0 { if errno == EINTR { continue } else { return } }
                    lock.lock(); connections += 1; lock.unlock()
                    _ = "hello-from-host\n".withCString { send(connection, $0, 16, Int32(MSG_NOSIGNAL)) }
                    close(connection)
                }
            }.start()
        }

        var seen: Int { lock.lock(); defer { lock.unlock() }; return connections }

        func stop() {
            shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
        }
    }

    func testRunStepCannotReachAServiceOnTheHostsLoopbackUnlessAskedForHostNetworking() async throws {
        let base = try await loadBusybox()
        let server = try LoopbackServer()
        defer { server.stop() }
        let dockerfile = """
            FROM \(base)
            RUN (nc -w 3 127.0.0.1 \(server.port) </dev/null || echo unreachable) > /result.txt 2>&1
            """
        let (isolated, _) = try await build(dockerfile, noCache: true)
        let answer = try XCTUnwrap(try file("result.txt", in: isolated))
        XCTAssertFalse(answer.contains("hello-from-host"), answer)
        XCTAssertTrue(answer.contains("unreachable"), answer)
        XCTAssertEqual(server.seen, 0, "the RUN step reached the host's loopback")

        let (shared, _) = try await build(dockerfile) { $0.networkHost = true; $0.noCache = true }
        XCTAssertEqual(try file("result.txt", in: shared), "hello-from-host\n", "--network host keeps the host's network")
        let (perStep, _) = try await build(dockerfile.replacingOccurrences(of: "RUN (", with: "RUN --network=host (")) { $0.noCache = true }
        XCTAssertEqual(try file("result.txt", in: perStep), "hello-from-host\n", "RUN --network=host keeps the host's network")
    }

    func testRunStepsShareOneNetworkNamespaceWithLoopbackAndEth0() async throws {
        let base = try await loadBusybox()
        let (result, _) = try await build("""
            FROM \(base)
            RUN readlink /proc/self/ns/net > /first.txt && ls /sys/class/net > /interfaces.txt
            RUN readlink /proc/self/ns/net > /second.txt && grep -c . /proc/net/route > /routes.txt
            RUN --network=none readlink /proc/self/ns/net > /none.txt
            """, noCache: true)
        let first = try XCTUnwrap(try file("first.txt", in: result))
        XCTAssertEqual(try file("second.txt", in: result), first, "one namespace per build, joined by every step")
        let host = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")
        XCTAssertNotEqual(first, host + "\n", "the RUN step is in the host's network namespace")
        XCTAssertNotEqual(try file("none.txt", in: result), first)
        XCTAssertEqual(try file("interfaces.txt", in: result), "eth0\nlo\n")
        XCTAssertNotEqual(try file("routes.txt", in: result), "1\n", "a default route besides the header line")
        // The namespace and pasta end with the build: nothing of it is left in the store's scratch.
        let tmp = root.appendingPathComponent("store/kiln/tmp").path
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? [], [])
    }

    func testRunStepHasDockersSeccompFilter() async throws {
        let base = try await loadBusybox()
        let (result, _) = try await build("""
            FROM \(base)
            RUN grep ^Seccomp: /proc/self/status | cut -f2 > /seccomp.txt
            RUN (unshare -U true 2>&1; echo "status=$?") > /unshare.txt
            """, noCache: true)
        XCTAssertEqual(try file("seccomp.txt", in: result), "2\n")
        let unshare = try XCTUnwrap(try file("unshare.txt", in: result))
        XCTAssertTrue(unshare.contains("Operation not permitted") && unshare.contains("status=1"), unshare)
    }

    func testInsecureRunNeedsTheEntitlementAndThenRunsUnconfined() async throws {
        let base = try await loadBusybox()
        let dockerfile = """
            FROM \(base)
            RUN --security=insecure grep -E '^(Seccomp|CapEff):' /proc/self/status > /status.txt
            """
        await assertBuildFails(dockerfile, line: 2, ["--security=insecure is not allowed", "--allow security.insecure"])
        let (result, _) = try await build(dockerfile) { $0.allowInsecure = true; $0.noCache = true }
        let status = try XCTUnwrap(try file("status.txt", in: result))
        XCTAssertTrue(status.contains("Seccomp:\t0"), status)
        XCTAssertFalse(status.contains("CapEff:\t00000000a80425fb"), "more than Docker's default capabilities: \(status)")
    }
}
