import ArgumentParser
import ContainerNetwork
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

    /// The host address of a port published without one: `$KILN_PUBLISH_IP` (what dockerd's `--ip`
    /// sets for Docker), else 0.0.0.0 as in Docker.
    static var defaultHostIP: String? {
        guard let ip = ProcessInfo.processInfo.environment["KILN_PUBLISH_IP"], !ip.isEmpty else { return nil }
        return ip
    }

    /// Docker's `-p` syntax (ContainerNetwork's parser): a missing host port becomes a free one.
    static func parse(_ spec: String) throws -> [PortSpec] {
        var text = spec
        let colons = spec.split(separator: "/")[0].filter { $0 == ":" }.count
        if let ip = defaultHostIP, !spec.hasPrefix("["), colons < 2 {
            let address = ip.contains(":") ? "[\(ip)]" : ip
            text = address + ":" + (colons == 0 ? ":" : "") + spec
        }
        return try PortMapping.parse(text).map(PortSpec.init)
    }

    /// `-P`: every EXPOSEd port on a free host port.
    static func publishAll(exposedPorts: [String]) throws -> [PortSpec] {
        try PortMapping.publishAll(exposedPorts: exposedPorts, hostIP: defaultHostIP ?? "0.0.0.0").map(PortSpec.init)
    }

    var mapping: PortMapping {
        PortMapping(hostIP: hostIP, hostPort: hostPort, containerPort: containerPort, proto: proto)
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
}

extension PortSpec {
    init(_ m: PortMapping) {
        self.init(hostIP: m.hostIP, hostPort: m.hostPort, containerPort: m.containerPort, proto: m.proto)
    }
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
/// `private`: the container's own network namespace, given loopback, a default route, outbound
/// connectivity and the published ports by pasta (ContainerNetwork's `UserNetwork`).
///
/// Runs inside the runtime's hook: a helper it starts must not keep the hook's stdout/stderr open
/// (runc waits for those pipes to close), so give it /dev/null or a log file. An error fails the
/// container's start with its message.
func attachNetwork(pid: Int32, network: String, ports: [PortSpec], stateDirectory: String) throws -> Int32? {
    guard network == "private" else { return nil }
    let network = try UserNetwork.start(pid: pid, ports: ports.map(\.mapping),
                                        stateDirectory: stateDirectory + "/network")
    return network.helperPID
}

/// Ends what `attachNetwork` started.
func detachNetwork(helperPID: Int32?) {
    guard let helperPID else { return }
    UserNetwork.stop(helperPID: helperPID)
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
            // The session reports this message itself (runc would wrap it in its hook error).
            let message = "cannot set up the container's network: \(error)"
            try? Data(message.utf8).write(to: containers.folder(id).appendingPathComponent("network-error"))
            printError(message)
            throw ExitCode(1)
        }
        if let helper { containers.update(id) { $0.networkPID = helper } }
    }
}
