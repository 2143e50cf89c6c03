@testable import ContainerNetwork
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A process alone in a new network namespace (`unshare --net sleep`), as runc leaves a container's init.
final class NamespaceProcess {
    let pid: Int32

    /// `setup`: a shell script run in the new namespace before `sleep` replaces it (e.g. `ip` commands).
    init(setup: String? = nil) throws {
        let arguments: [String] = setup.map { ["/usr/bin/unshare", "--net", "/bin/sh", "-c", $0 + " && exec /bin/sleep 600"] }
            ?? ["/usr/bin/unshare", "--net", "/bin/sleep", "600"]
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, "/usr/bin/unshare", nil, nil, argv, environ)
        guard result == 0 else { throw XCTSkip("cannot start unshare: \(result)") }
        self.pid = pid
        // unshare execs sleep in the same process once the namespace exists.
        let own = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")
        for _ in 0..<500 {
            if let theirs = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net"), theirs != own,
               (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.hasPrefix("sleep") == true { return }
            usleep(10_000)
        }
        throw XCTSkip("unshare --net did not give process \(pid) a network namespace")
    }

    deinit {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    /// A socket created inside the namespace (a socket stays in the namespace it was created in).
    func socket(_ type: Int32) throws -> Int32 {
        try Self.socket(type, inNamespace: "/proc/\(pid)/ns/net")
    }

    /// A socket created inside the network namespace at `path` (a /proc/PID/ns/net link or a bound nsfs file).
    static func socket(_ type: Int32, inNamespace path: String) throws -> Int32 {
        try perform(inNamespace: path) {
            let fd = Glibc.socket(AF_INET, type | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw TestSocketError("socket: \(errno)") }
            return fd
        }
    }

    /// Runs `body` on a thread inside this process's namespace (processes it spawns start there too).
    func perform<T>(_ body: @escaping () throws -> T) throws -> T {
        try Self.perform(inNamespace: "/proc/\(pid)/ns/net", body)
    }

    static func perform<T>(inNamespace path: String, _ body: @escaping () throws -> T) throws -> T {
        let nsFD = open(path, O_RDONLY | O_CLOEXEC)
        let ownFD = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)
        defer { close(nsFD); close(ownFD) }
        let result = Box<Result<T, Error>?>(nil)
        let work = Box(body)
        let done = DispatchSemaphore(value: 0)
        // setns changes only the calling thread's namespace: do it on a thread of its own, and switch back.
        Thread {
            defer { done.signal() }
            guard NamespaceProcess.setNetworkNamespace(nsFD) == 0 else {
                result.value = .failure(TestSocketError("setns \(path): \(errno)"))
                return
            }
            result.value = Result { try work.value() }
            _ = NamespaceProcess.setNetworkNamespace(ownFD)
        }.start()
        done.wait()
        return try result.value!.get()
    }

    /// setns(fd, CLONE_NEWNET) for the calling thread (glibc's setns is not in Swift's Glibc module).
    private static func setNetworkNamespace(_ fd: Int32) -> Int32 {
        typealias SetNS = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "setns") else { return -1 }
        return unsafeBitCast(symbol, to: SetNS.self)(fd, 0x4000_0000 /* CLONE_NEWNET */)
    }

    /// The namespace's IPv4 routes from /proc/PID/net/route: (destination, gateway) in dotted form.
    func routes() -> [(destination: String, gateway: String)] {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/net/route", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            guard fields.count > 2, let destination = UInt32(fields[1], radix: 16), let gateway = UInt32(fields[2], radix: 16) else { return nil }
            return (dotted(destination), dotted(gateway))
        }
    }

    private func dotted(_ value: UInt32) -> String {
        // /proc/net/route prints the address in host (little-endian) order of its network-order bytes.
        (0..<4).map { String((value >> (8 * $0)) & 0xff) }.joined(separator: ".")
    }
}

/// A stand-in for the host, so that "outbound" traffic provably stays on this machine: a network namespace
/// with loopback, a veth pair whose end `eth0` holds 192.0.2.2/24 (TEST-NET-1) and 198.51.100.7/32, and a
/// default route through 192.0.2.1, an address nobody holds (packets to it go into the veth pair and die
/// there). pasta started inside it copies that setup, as it copies the real host's.
enum FakeHost {
    static let setup = "ip link set lo up && ip link add eth0 type veth peer name peer0 && ip link set peer0 up "
        + "&& ip addr add 192.0.2.2/24 dev eth0 && ip addr add 198.51.100.7/32 dev eth0 && ip link set eth0 up "
        + "&& ip route add default via 192.0.2.1"
    /// The fake host's second address (not the one pasta copies into the container's namespace).
    static let otherAddress = "198.51.100.7"

    static func start() throws -> NamespaceProcess {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") || FileManager.default.isExecutableFile(atPath: "/sbin/ip")
            || FileManager.default.isExecutableFile(atPath: "/usr/bin/ip") else { throw XCTSkip("iproute2's ip is not installed") }
        return try NamespaceProcess(setup: setup)
    }
}

/// A mutable value shared with a helper thread (the tests wait for the thread before reading it).
final class Box<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}

struct TestSocketError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Small blocking socket operations with timeouts, for the tests.
enum TestSocket {
    static func address(_ ip: String, _ port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, ip, &address.sin_addr)
        return address
    }

    static func withSockaddr<T>(_ ip: String, _ port: UInt16, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        var address = address(ip, port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    static func make(_ type: Int32) throws -> Int32 {
        let fd = socket(AF_INET, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestSocketError("socket: \(errno)") }
        return fd
    }

    /// Binds `fd` to ip:port (0 = any free port) and, for TCP, listens; returns the bound port.
    @discardableResult
    static func bind(_ fd: Int32, _ ip: String, _ port: UInt16, listen: Bool) throws -> UInt16 {
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard withSockaddr(ip, port, { Glibc.bind(fd, $0, $1) }) == 0 else { throw TestSocketError("bind \(ip):\(port): \(errno)") }
        if listen { guard Glibc.listen(fd, 8) == 0 else { throw TestSocketError("listen: \(errno)") } }
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return UInt16(bigEndian: address.sin_port)
    }

    static func connect(_ fd: Int32, _ ip: String, _ port: UInt16) throws {
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard withSockaddr(ip, port, { Glibc.connect(fd, $0, $1) }) == 0 else { throw TestSocketError("connect \(ip):\(port): \(errno)") }
    }

    /// Accepts one connection on a background thread, sends `reply` and closes it; returns what the peer sent first.
    static func serveOnce(_ listener: Int32, reply: String) -> () -> String {
        let received = Box("")
        let done = DispatchSemaphore(value: 0)
        Thread {
            defer { done.signal() }
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { received.value = "accept failed: \(errno)"; return }
            received.value = receive(connection)
            send(connection, reply)
            close(connection)
        }.start()
        return { _ = done.wait(timeout: .now() + 20); return received.value }
    }

    static func send(_ fd: Int32, _ text: String) {
        _ = text.utf8CString.withUnsafeBufferPointer { Glibc.send(fd, $0.baseAddress, $0.count - 1, Int32(MSG_NOSIGNAL)) }
    }

    static func receive(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : ""
    }

    /// UDP: sends `text` to ip:port.
    static func sendTo(_ fd: Int32, _ ip: String, _ port: UInt16, _ text: String) throws {
        let sent = text.utf8CString.withUnsafeBufferPointer { buffer in
            withSockaddr(ip, port) { sendto(fd, buffer.baseAddress, buffer.count - 1, 0, $0, $1) }
        }
        guard sent >= 0 else { throw TestSocketError("sendto \(ip):\(port): \(errno)") }
    }

    /// UDP: receives one datagram (10 s timeout) and answers the sender with `reply`; returns what came.
    static func receiveAndAnswer(_ fd: Int32, reply: String) -> String {
        var buffer = [UInt8](repeating: 0, count: 4096)
        var peer = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let count = withUnsafeMutablePointer(to: &peer) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, &buffer, buffer.count, 0, $0, &length) }
        }
        guard count > 0 else { return "" }
        _ = reply.utf8CString.withUnsafeBufferPointer { text in
            withUnsafePointer(to: &peer) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, text.baseAddress, text.count - 1, 0, $0, length) }
            }
        }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }

    /// The local addresses ("127.0.0.1") TCP sockets listen on at `port`, from /proc/net/tcp (the host's namespace).
    static func listeningAddresses(port: UInt16) -> [String] {
        guard let text = try? String(contentsOfFile: "/proc/net/tcp", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 3, fields[3] == "0A" else { return nil }
            let local = fields[1].split(separator: ":")
            guard local.count == 2, UInt16(local[1], radix: 16) == port, let raw = UInt32(local[0], radix: 16) else { return nil }
            return (0..<4).map { String((raw >> (8 * $0)) & 0xff) }.joined(separator: ".")
        }
    }
}
