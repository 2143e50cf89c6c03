import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Issue 14: `kiln run` containers get Docker's seccomp profile (`Seccomp: 2`), `--security-opt
/// seccomp=unconfined|FILE` and `no-new-privileges`, and their private network (pasta) does not lead to the
/// host's loopback: neither at 127.0.0.1 nor through the gateway address (pasta's gateway mapping is off;
/// ContainerNetworkTests shows the gateway case in a fake host namespace, so no packet leaves the machine).
final class RunSandboxTests: RunTestCase {
    func testSeccompByDefaultAndUnconfinedOnRequest() {
        let filtered = sh("\(kiln) run --rm \(Self.busybox) grep ^Seccomp: /proc/self/status")
        XCTAssertEqual(filtered.status, 0, filtered.output)
        XCTAssertEqual(filtered.output, "Seccomp:\t2\n")
        let blocked = sh("\(kiln) run --rm \(Self.busybox) unshare -U true")
        XCTAssertNotEqual(blocked.status, 0)
        XCTAssertTrue(blocked.output.contains("Operation not permitted"), blocked.output)
        let unconfined = sh("\(kiln) run --rm --security-opt seccomp=unconfined \(Self.busybox) grep ^Seccomp: /proc/self/status")
        XCTAssertEqual(unconfined.output, "Seccomp:\t0\n")
    }

    func testNoNewPrivilegesAndAProfileFile() throws {
        let nnp = sh("\(kiln) run --rm --security-opt no-new-privileges \(Self.busybox) grep ^NoNewPrivs: /proc/self/status")
        XCTAssertEqual(nnp.output, "NoNewPrivs:\t1\n")
        // A Docker-format profile that allows everything but mkdir/mkdirat.
        let profile = work.appendingPathComponent("profile.json")
        try Data(#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}"#.utf8)
            .write(to: profile)
        let custom = sh("\(kiln) run --rm --security-opt seccomp='\(profile.path)' \(Self.busybox) sh -c 'mkdir /x; echo status=$?'")
        XCTAssertTrue(custom.output.contains("Operation not permitted") && custom.output.contains("status=1"), custom.output)
        let missing = sh("\(kiln) run --rm --security-opt seccomp=/no/such/profile.json \(Self.busybox) true")
        XCTAssertEqual(missing.status, 125)
        XCTAssertTrue(missing.output.contains("seccomp profile"), missing.output)
        let unknown = sh("\(kiln) run --rm --security-opt apparmor=foo \(Self.busybox) true")
        XCTAssertEqual(unknown.status, 125)
        XCTAssertTrue(unknown.output.contains("invalid --security-opt"), unknown.output)
    }

    func testPrivateNetworkDoesNotReachTheHostsLoopback() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/pasta") else { throw XCTSkip("pasta is not installed") }
        let server = try HostLoopbackServer()
        defer { server.stop() }
        let port = server.port
        let result = sh("\(kiln) run --rm \(Self.busybox) sh -c 'nc -w 3 127.0.0.1 \(port) </dev/null || echo unreachable'")
        XCTAssertFalse(result.output.contains("hello-from-host"), result.output)
        XCTAssertTrue(result.output.contains("unreachable"), result.output)
        let host = sh("\(kiln) run --rm --network host \(Self.busybox) nc -w 3 127.0.0.1 \(port)")
        XCTAssertTrue(host.output.contains("hello-from-host"), "--network host keeps the host's loopback: \(host.output)")
        XCTAssertEqual(server.seen, 1, "only the --network host container reached the server")
    }
}

/// A server on the host's 127.0.0.1 answering "hello-from-host" to every connection, until `stop()`.
final class HostLoopbackServer: @unchecked Sendable {
    let fd: Int32
    let port: UInt16
    private var connections = 0
    private let lock = NSLock()

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound, listen(fd, 8) == 0 else { throw XCTSkip("cannot listen on 127.0.0.1: \(errno)") }
        self.fd = fd
        port = UInt16(bigEndian: address.sin_port)
        Thread { [self] in
            while true {
                let connection = accept(fd, nil, nil)
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
