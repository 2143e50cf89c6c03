/// One published port: a host address and port forwarded to a port in the container's network namespace.
public struct PortMapping: Sendable, Equatable, CustomStringConvertible {
    /// The host address the port is bound to ("0.0.0.0" by default, as Docker's `-p`).
    public var hostIP: String
    public var hostPort: UInt16
    public var containerPort: UInt16
    /// "tcp" or "udp".
    public var proto: String

    public init(hostIP: String = "0.0.0.0", hostPort: UInt16, containerPort: UInt16, proto: String = "tcp") {
        self.hostIP = hostIP
        self.hostPort = hostPort
        self.containerPort = containerPort
        self.proto = proto
    }

    /// Docker's `kiln port` / `docker port` line: "80/tcp -> 0.0.0.0:8080".
    public var description: String {
        let host = hostIP.contains(":") ? "[\(hostIP)]" : hostIP
        return "\(containerPort)/\(proto) -> \(host):\(hostPort)"
    }

    /// Parses one `-p`/`--publish` value in Docker's syntax, `[IP:][HOSTPORT:]CONTAINERPORT[/PROTO]`, into one
    /// mapping per container port. Follows docker/go-connections `nat.ParsePortSpec` (what `docker run -p`
    /// uses): an IPv6 address in brackets; ranges (`8000-8002:80-82`, lengths must match); a host range with a
    /// single container port (`8000-8010:80`) means any free port of that range; an empty (or 0) host port
    /// means a free ephemeral port, chosen here by the kernel (so the result names real, free host ports).
    /// The protocol is case-insensitive; Docker's `sctp` is rejected (pasta forwards only TCP and UDP).
    public static func parse(_ spec: String) throws -> [PortMapping] {
        func invalid(_ reason: String) -> ContainerNetworkError { .invalidPortSpec(spec: spec, reason: reason) }

        // splitParts: the last field is the container port, the one before the host port, the rest the IP.
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var ip = parts.count > 2 ? parts[..<(parts.count - 2)].joined(separator: ":") : ""
        let rawHostPort = parts.count > 1 ? parts[parts.count - 2] : ""
        var containerPart = parts[parts.count - 1]

        // SplitProtoPort: "80/udp" -> 80, udp; "80" and "80/" -> tcp.
        var proto = "tcp"
        if let slash = containerPart.firstIndex(of: "/") {
            let given = containerPart[containerPart.index(after: slash)...]
            containerPart = String(containerPart[..<slash])
            if !given.isEmpty { proto = given.lowercased() }
        }
        guard !containerPart.isEmpty else { throw invalid("no port specified: \(spec)<empty>") }
        switch proto {
        case "tcp", "udp": break
        case "sctp": throw invalid("sctp ports cannot be published (only tcp and udp)")
        default: throw invalid("invalid proto: \(proto)")
        }

        if ip.hasPrefix("[") {
            guard ip.hasSuffix("]"), ip.count > 2 else { throw invalid("invalid IP address \(ip)") }
            ip = String(ip.dropFirst().dropLast())
        }
        if !ip.isEmpty, !SocketAddress.isValid(ip) { throw invalid("invalid IP address: \(ip)") }
        let hostIP = ip.isEmpty ? "0.0.0.0" : ip

        guard let container = portRange(containerPart), container.lowerBound > 0 else {
            throw invalid("invalid containerPort: \(containerPart)")
        }
        var hostRange: ClosedRange<Int>?
        if !rawHostPort.isEmpty {
            guard let range = portRange(rawHostPort) else { throw invalid("invalid hostPort: \(rawHostPort)") }
            if range.count != container.count, container.count != 1 {
                throw invalid("invalid ranges specified for container and host Ports: \(containerPart) and \(rawHostPort)")
            }
            // "0" asks for an ephemeral port, as an empty host port does.
            hostRange = range == 0...0 ? nil : range
        }

        var mappings: [PortMapping] = []
        for (offset, containerPort) in container.enumerated() {
            let hostPort: UInt16
            if let hostRange, hostRange.count != container.count {
                // One container port, a host range: the first free port of the range (Docker's dynamic range).
                guard let free = hostRange.first(where: { HostPorts.isFree(ip: hostIP, port: UInt16($0), proto: proto) }) else {
                    throw ContainerNetworkError.noFreePort("in \(rawHostPort) on \(hostIP) for \(proto)")
                }
                hostPort = UInt16(free)
            } else if let hostRange {
                hostPort = UInt16(hostRange.lowerBound + offset)
            } else {
                hostPort = try HostPorts.freePort(ip: hostIP, proto: proto)
            }
            mappings.append(PortMapping(hostIP: hostIP, hostPort: hostPort, containerPort: UInt16(containerPort), proto: proto))
        }
        return mappings
    }

    /// `-P`/`--publish-all`: every EXPOSEd port of the image (its config's ExposedPorts keys, "80/tcp",
    /// "53/udp", "8000-8001/tcp") published on a free ephemeral host port of `hostIP`, as Docker does.
    public static func publishAll(exposedPorts: [String], hostIP: String = "0.0.0.0") throws -> [PortMapping] {
        var mappings: [PortMapping] = []
        for exposed in exposedPorts.sorted() {
            let address = hostIP.contains(":") ? "[\(hostIP)]" : hostIP
            mappings += try parse("\(address)::\(exposed)")
        }
        return mappings
    }

    /// "80" or "8000-8010" as a closed range of port numbers (0-65535), as nat.ParsePortRange reads it.
    static func portRange(_ text: String) -> ClosedRange<Int>? {
        let bounds = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard let start = portNumber(bounds[0]) else { return nil }
        guard bounds.count == 2 else { return start...start }
        guard let end = portNumber(bounds[1]), end >= start else { return nil }
        return start...end
    }

    private static func portNumber(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.allSatisfy({ ("0"..."9").contains($0) }), let value = Int(text), (0...65535).contains(value) else { return nil }
        return value
    }
}
