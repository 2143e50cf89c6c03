#if canImport(Glibc)
import Glibc
#endif

/// Probing host ports by binding them briefly: whether one is free, and the kernel's choice of a free one.
enum HostPorts {
    /// Whether `ip`:`port` can be bound for `proto` ("tcp" or "udp") right now.
    static func isFree(ip: String, port: UInt16, proto: String) -> Bool {
        (try? bind(ip: ip, port: port, proto: proto)) != nil
    }

    /// A port the kernel considers free on `ip` for `proto` (an ephemeral one, as Docker picks).
    static func freePort(ip: String, proto: String) throws -> UInt16 {
        try bind(ip: ip, port: 0, proto: proto)
    }

    /// Binds a throwaway socket and returns the port it got; throws with the errno on failure.
    @discardableResult
    private static func bind(ip: String, port: UInt16, proto: String) throws -> UInt16 {
        guard let address = SocketAddress(ip: ip, port: port) else {
            throw ContainerNetworkError.invalidPortSpec(spec: ip, reason: "invalid IP address: \(ip)")
        }
        let type = proto == "udp" ? Int32(SOCK_DGRAM.rawValue) : Int32(SOCK_STREAM.rawValue)
        let fd = socket(address.family, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ContainerNetworkError.system("socket", errno: errno) }
        defer { close(fd) }
        var one: Int32 = 1
        // pasta binds with SO_REUSEADDR too: a port whose old connections linger in TIME_WAIT is free.
        if proto != "udp" { setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size)) }
        if address.family == AF_INET6 { setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size)) }
        guard address.withSockaddr({ Glibc.bind(fd, $0, $1) }) == 0 else {
            throw ContainerNetworkError.system("bind \(ip):\(port)", errno: errno)
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw ContainerNetworkError.system("getsockname", errno: errno) }
        return withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
    }
}

/// An IPv4 or IPv6 socket address parsed from its text form.
struct SocketAddress {
    enum Storage {
        case v4(sockaddr_in)
        case v6(sockaddr_in6)
    }

    let storage: Storage

    var family: Int32 {
        switch storage {
        case .v4: return AF_INET
        case .v6: return AF_INET6
        }
    }

    init?(ip: String, port: UInt16) {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, ip, &v4) == 1 {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr = v4
            storage = .v4(address)
        } else if inet_pton(AF_INET6, ip, &v6) == 1 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            address.sin6_addr = v6
            storage = .v6(address)
        } else {
            return nil
        }
    }

    /// Whether `text` is an IPv4 or IPv6 address.
    static func isValid(_ text: String) -> Bool { SocketAddress(ip: text, port: 0) != nil }

    func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        switch storage {
        case .v4(var address):
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case .v6(var address):
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
    }
}
