import ContainerNetwork
import Foundation

// The one place `kiln run` touches networking. The ContainerNetwork module (user-space network
// stack: pasta/slirp4netns) plugs in here: `PortSpec` mirrors its `PortMapping`, and
// `attachNetwork` is where `UserNetwork.start` goes.

/// A published port (Docker's `-p [IP:][HOST:]CONTAINER[/PROTO]`), the fields of ContainerNetwork's `PortMapping`.
public struct PortSpec: Codable, Equatable, Sendable {
    public var hostIP: String
    public var hostPort: UInt16
    public var containerPort: UInt16
    public var proto: String

    public init(hostIP: String, hostPort: UInt16, containerPort: UInt16, proto: String) {
        self.hostIP = hostIP
        self.hostPort = hostPort
        self.containerPort = containerPort
        self.proto = proto
    }

    /// The host address of a port published without one: `$KILN_PUBLISH_IP` (what dockerd's `--ip`
    /// sets for Docker), else 0.0.0.0 as in Docker.
    public static var defaultHostIP: String? {
        guard let ip = ProcessInfo.processInfo.environment["KILN_PUBLISH_IP"], !ip.isEmpty else { return nil }
        return ip
    }

    /// Docker's `-p` syntax (ContainerNetwork's parser): a missing host port becomes a free one.
    public static func parse(_ spec: String) throws -> [PortSpec] {
        var text = spec
        let colons = spec.split(separator: "/")[0].filter { $0 == ":" }.count
        if let ip = defaultHostIP, !spec.hasPrefix("["), colons < 2 {
            let address = ip.contains(":") ? "[\(ip)]" : ip
            text = address + ":" + (colons == 0 ? ":" : "") + spec
        }
        return try PortMapping.parse(text).map(PortSpec.init)
    }

    /// `-P`: every EXPOSEd port on a free host port.
    public static func publishAll(exposedPorts: [String]) throws -> [PortSpec] {
        try PortMapping.publishAll(exposedPorts: exposedPorts, hostIP: defaultHostIP ?? "0.0.0.0").map(PortSpec.init)
    }

    public var mapping: PortMapping {
        PortMapping(hostIP: hostIP, hostPort: hostPort, containerPort: containerPort, proto: proto)
    }

    /// `80/tcp -> 127.0.0.1:8080`, as `docker port`.
    public var portLine: String {
        let ip = hostIP.contains(":") ? "[\(hostIP)]" : hostIP
        return "\(containerPort)/\(proto) -> \(ip):\(hostPort)"
    }

    /// `127.0.0.1:8080->80/tcp`, as `docker ps`'s PORTS column.
    public var psText: String {
        let ip = hostIP.contains(":") ? "[\(hostIP)]" : hostIP
        return "\(ip):\(hostPort)->\(containerPort)/\(proto)"
    }
}

extension PortSpec {
    public init(_ m: PortMapping) {
        self.init(hostIP: m.hostIP, hostPort: m.hostPort, containerPort: m.containerPort, proto: m.proto)
    }
}

extension ContainerSession {
    /// Whether the container's start runs `kiln __network-hook` (an OCI createRuntime hook), which
    /// calls `attachNetwork` once the network namespace exists and before the process starts.
    public var networkNeedsHook: Bool { record.network == "private" }
}

/// Gives container process `pid`'s network namespace its network, for `--network private`;
/// returns the helper process's pid when there is one. Called by `kiln __network-hook`, after
/// the namespaces exist and before the container's process starts.
///
/// `private`: the container's own network namespace, given loopback, a default route, outbound
/// connectivity and the published ports by pasta (ContainerNetwork's `UserNetwork`).
///
/// Runs inside the runtime's hook: a helper it starts must not keep the hook's stdout/stderr open
/// (runc waits for those pipes to close), so give it /dev/null or a log file. An error fails the
/// container's start with its message.
public func attachNetwork(pid: Int32, network: String, ports: [PortSpec], stateDirectory: String) throws -> Int32? {
    guard network == "private" else { return nil }
    let network = try UserNetwork.start(pid: pid, ports: ports.map(\.mapping),
                                        stateDirectory: stateDirectory + "/network")
    return network.helperPID
}

/// Ends what `attachNetwork` started.
public func detachNetwork(helperPID: Int32?) {
    guard let helperPID else { return }
    UserNetwork.stop(helperPID: helperPID)
}
