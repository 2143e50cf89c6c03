import ArgumentParser
import Foundation

// The one place `kiln run` touches networking. The ContainerNetwork module (user-space network
// stack: pasta/slirp4netns) plugs in here: `PortSpec` mirrors its `PortMapping`, and
// `attachNetwork` is where `UserNetwork.start` goes.

/// A published port (Docker's `-p [IP:][HOST:]CONTAINER[/PROTO]`), the fields of ContainerNetwork's `PortMapping`.
struct PortSpec: Codable, Equatable {
    var hostIP: String
    var hostPort: UInt16
    var containerPort: UInt16
    var proto: String

    /// Docker's `-p` syntax: `80`, `8080:80`, `127.0.0.1:8080:80`, `127.0.0.1::80`, `[::1]:8080:80`,
    /// `8080:80/udp`, ranges `8000-8001:80-81`. A missing host port is 0 (a free one is chosen).
    static func parse(_ spec: String) throws -> [PortSpec] {
        var text = spec
        var proto = "tcp"
        if let slash = text.lastIndex(of: "/") {
            proto = String(text[text.index(after: slash)...]).lowercased()
            text = String(text[..<slash])
            guard proto == "tcp" || proto == "udp" || proto == "sctp" else { throw invalid(spec, "invalid proto: \(proto)") }
        }
        var hostIP = ""
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw invalid(spec, "invalid IP address") }
            hostIP = String(text[text.index(after: text.startIndex)..<close])
            text = String(text[text.index(after: close)...])
            guard text.hasPrefix(":") else { throw invalid(spec, "invalid IP address") }
            text.removeFirst()
            let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 else { throw invalid(spec, "invalid port format") }
            return try expand(spec, hostIP: hostIP, host: parts[0], container: parts[1], proto: proto)
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch parts.count {
        case 1: return try expand(spec, hostIP: "", host: "", container: parts[0], proto: proto)
        case 2: return try expand(spec, hostIP: "", host: parts[0], container: parts[1], proto: proto)
        case 3:
            hostIP = parts[0]
            guard hostIP.isEmpty || hostIP.split(separator: ".").count == 4 || hostIP.contains(":") else {
                throw invalid(spec, "invalid IP address: \(hostIP)")
            }
            return try expand(spec, hostIP: hostIP, host: parts[1], container: parts[2], proto: proto)
        default: throw invalid(spec, "invalid port format")
        }
    }

    private static func expand(_ spec: String, hostIP: String, host: String, container: String, proto: String) throws -> [PortSpec] {
        let containerPorts = try range(container, spec)
        let hostPorts = host.isEmpty ? containerPorts.map { _ in UInt16(0) } : try range(host, spec)
        guard hostPorts.count == containerPorts.count || hostPorts.count == 1 else {
            throw invalid(spec, "invalid ranges specified for container and host Ports")
        }
        return containerPorts.enumerated().map { i, port in
            PortSpec(hostIP: hostIP.isEmpty ? "0.0.0.0" : hostIP, hostPort: hostPorts.count == 1 ? hostPorts[0] : hostPorts[i],
                     containerPort: port, proto: proto)
        }
    }

    private static func range(_ text: String, _ spec: String) throws -> [UInt16] {
        let bounds = text.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard (1...2).contains(bounds.count), let low = UInt16(bounds[0]), let high = UInt16(bounds.last!), low <= high, low > 0 else {
            throw invalid(spec, "invalid containerPort: \(text)")
        }
        return Array(low...high)
    }

    private static func invalid(_ spec: String, _ reason: String) -> Error {
        PortSpecError(description: "invalid argument \"\(spec)\" for \"-p, --publish\" flag: \(reason)")
    }

    /// `80/tcp -> 127.0.0.1:8080`, as `docker port`.
    var portLine: String {
        let ip = hostIP.contains(":") ? "[\(hostIP)]" : hostIP
        return "\(containerPort)/\(proto) -> \(ip):\(hostPort)"
    }

    /// `127.0.0.1:8080->80/tcp`, as `docker ps`'s PORTS column.
    var psText: String {
        let ip = hostIP.contains(":") ? "[\(hostIP)]" : hostIP
        return "\(ip):\(hostPort)->\(containerPort)/\(proto)"
    }

    /// A host port that is free now (the kernel's choice for port 0), for `-P` and `-p CONTAINER`.
    static func freePort(proto: String, hostIP: String) -> UInt16 {
        let fd = socket(AF_INET, proto == "udp" ? Int32(SOCK_DGRAM.rawValue) : Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(hostIP.contains(":") || hostIP.isEmpty ? "0.0.0.0" : hostIP)
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        return bound ? UInt16(bigEndian: address.sin_port) : 0
    }
}

struct PortSpecError: Error, CustomStringConvertible {
    var description: String
}

extension ContainerSession {
    /// Whether the container's start runs `kiln __network-hook` (an OCI createRuntime hook), which
    /// calls `attachNetwork` once the network namespace exists and before the process starts.
    var networkNeedsHook: Bool { record.network == "private" }
}

/// Gives container process `pid`'s network namespace its network, for `--network private`;
/// returns the helper process's pid when there is one. Called by `kiln __network-hook`, after
/// the namespaces exist and before the container's process starts.
///
/// For now `private` is what `none` is: the container's own network namespace with only loopback.
///
/// Runs inside the runtime's hook: a helper it starts must not keep the hook's stdout/stderr open
/// (runc waits for those pipes to close), so give it /dev/null or a log file. An error fails the
/// container's start with its message.
func attachNetwork(pid: Int32, network: String, ports: [PortSpec], stateDirectory: String) throws -> Int32? {
    guard network == "private" else { return nil }
    // ContainerNetwork: let net = try UserNetwork.start(pid: pid, ports: ports.map { PortMapping(...) },
    //                                                  stateDirectory: stateDirectory); return net.helperPID
    return nil
}

/// Ends what `attachNetwork` started.
func detachNetwork(helperPID: Int32?) {
    guard helperPID != nil else { return }
    // ContainerNetwork: UserNetwork.stop(helperPID: helperPID!)
}

/// `kiln __network-hook --root R ID` (hidden): the OCI createRuntime hook of a `private` network
/// container. Reads the runtime state from stdin, attaches the network to its pid and records the
/// helper's pid in the container's state.
struct NetworkHookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "__network-hook", shouldDisplay: false)

    @OptionGroup var store: StoreOptions
    @Argument var id: String

    func run() async throws {
        let input = FileHandle.standardInput.readDataToEndOfFile()
        guard let object = try? JSONSerialization.jsonObject(with: input) as? [String: Any],
              let pid = object["pid"] as? Int, pid > 0 else {
            printError("kiln __network-hook: no container pid in the runtime state")
            throw ExitCode(1)
        }
        let containers = ContainerStore(location: try store.location())
        let record = try containers.record(id)
        let helper: Int32?
        do {
            helper = try attachNetwork(pid: Int32(pid), network: record.network, ports: record.ports,
                                       stateDirectory: containers.folder(id).path)
        } catch {
            printError("cannot set up the container's network: \(error)")
            throw ExitCode(1)
        }
        if let helper { containers.update(id) { $0.networkPID = helper } }
    }
}
