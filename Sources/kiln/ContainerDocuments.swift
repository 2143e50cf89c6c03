import ContainerRuntime
import Containers
import DockerfileSyntax
import Foundation

/// A container as Docker's API shows it: `docker container inspect`'s document (the fields of
/// Docker 20.10's ContainerJSON that kiln knows, in Docker's order) and `docker ps --format`'s entry.
enum ContainerDocuments {
    /// Go's `time.Time` in JSON: RFC 3339 with nanoseconds, trailing zeros cut; the zero time for nil.
    static func time(_ date: Date?) -> String {
        guard let date else { return "0001-01-01T00:00:00Z" }
        let seconds = date.timeIntervalSince1970.rounded(.down)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        var text = formatter.string(from: Date(timeIntervalSince1970: seconds))
        let nanos = Int((date.timeIntervalSince1970 - seconds) * 1e9)
        if nanos > 0 {
            var fraction = String(format: "%09d", nanos)
            while fraction.hasSuffix("0") { fraction.removeLast() }
            text += "." + fraction
        }
        return text + "Z"
    }

    /// `docker container inspect`'s document. `env` is the container's environment when known
    /// (read from its running process), else the image's.
    static func inspect(_ record: ContainerRecord, _ state: ContainerState, containers: ContainerStore, env: [String]) -> GoJSON {
        let folder = containers.folder(record.id).path
        let limits = record.resources ?? .none
        var stateMembers: [(String, GoJSON)] = [
            ("Status", .string(state.status)),
            ("Running", .bool(state.status == "running")),
            ("Paused", .bool(false)), ("Restarting", .bool(false)), ("OOMKilled", .bool(state.oomKilled ?? false)), ("Dead", .bool(false)),
            ("Pid", .int(Int64(state.status == "running" ? state.pid : 0))),
            ("ExitCode", .int(Int64(state.exitCode ?? 0))),
            ("Error", .string(state.error ?? "")),
            ("StartedAt", .string(time(state.startedAt))),
            ("FinishedAt", .string(time(state.finishedAt))),
        ]
        if let health = state.health {
            stateMembers.append(("Health", .object([("Status", .string(health)), ("FailingStreak", .int(0)), ("Log", .array([]))])))
        }
        var portBindings: [(String, GoJSON)] = []
        var ports: [(String, GoJSON)] = (record.exposedPorts ?? []).map { ($0, GoJSON.null) }
        for port in record.ports {
            let key = "\(port.containerPort)/\(port.proto)"
            let binding = GoJSON.object([("HostIp", .string(port.hostIP)), ("HostPort", .string(String(port.hostPort)))])
            if let i = portBindings.firstIndex(where: { $0.0 == key }), case .array(let list) = portBindings[i].1 {
                portBindings[i].1 = .array(list + [binding])
            } else {
                portBindings.append((key, .array([binding])))
            }
            if let i = ports.firstIndex(where: { $0.0 == key }), case .array(let list) = ports[i].1 {
                ports[i].1 = .array(list + [binding])
            } else if let i = ports.firstIndex(where: { $0.0 == key }) {
                ports[i].1 = .array([binding])
            } else {
                ports.append((key, .array([binding])))
            }
        }
        ports.sort { $0.0 < $1.0 }
        portBindings.sort { $0.0 < $1.0 }
        let networkMode = record.network == "private" ? "default" : record.network
        let mounts: [GoJSON] = record.binds.map { bind in
            let parts = bind.split(separator: ":").map(String.init)
            let readOnly = parts.count > 2 && parts[2] == "ro"
            return .object([("Type", .string("bind")), ("Source", .string(parts[0])), ("Destination", .string(parts[1])),
                            ("Mode", .string(parts.count > 2 ? parts[2] : "")), ("RW", .bool(!readOnly)), ("Propagation", .string("rprivate"))])
        }
        var config: [(String, GoJSON)] = [
            ("Hostname", .string(record.shortID)), ("Domainname", .string("")), ("User", .string(record.user)),
            ("AttachStdin", .bool(record.interactive)), ("AttachStdout", .bool(true)), ("AttachStderr", .bool(true)),
        ]
        let exposed = Set((record.exposedPorts ?? []) + record.ports.map { "\($0.containerPort)/\($0.proto)" }).sorted()
        if !exposed.isEmpty { config.append(("ExposedPorts", .map(exposed.map { ($0, .object([])) }))) }
        config += [
            ("Tty", .bool(record.tty)), ("OpenStdin", .bool(record.interactive)), ("StdinOnce", .bool(false)),
            ("Env", GoJSON.strings(env)),
            ("Cmd", GoJSON.strings(record.cmd ?? (record.entrypoint == nil ? record.command : nil))),
            ("Image", .string(record.image)),
            ("Volumes", .nilMap),
            ("WorkingDir", .string(record.workingDir)),
            ("Entrypoint", GoJSON.strings(record.entrypoint)),
            ("OnBuild", .nilSlice),
            ("Labels", .map((record.labels ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
            ("StopSignal", .string(record.stopSignal)),
        ]
        return .object([
            ("Id", .string(record.id)),
            ("Created", .string(time(record.created))),
            ("Path", .string(record.path)),
            ("Args", .array(record.args.map { .string($0) })),
            ("State", .object(stateMembers)),
            ("Image", .string(record.imageID)),
            ("ResolvConfPath", .string(folder + "/rootfs/etc/resolv.conf")),
            ("HostnamePath", .string(folder + "/rootfs/etc/hostname")),
            ("HostsPath", .string(folder + "/rootfs/etc/hosts")),
            ("LogPath", .string(containers.logFile(record.id).path)),
            ("Name", .string("/" + record.name)),
            ("RestartCount", .int(0)),
            ("Driver", .string("overlay")),
            ("Platform", .string("linux")),
            ("MountLabel", .string("")), ("ProcessLabel", .string("")), ("AppArmorProfile", .string("")),
            ("ExecIDs", .nilSlice),
            ("HostConfig", .object([
                ("Binds", record.binds.isEmpty ? .nilSlice : GoJSON.strings(record.binds)),
                ("ContainerIDFile", .string("")),
                ("LogConfig", .object([("Type", .string("json-file")), ("Config", .map([]))])),
                ("NetworkMode", .string(networkMode)),
                ("PortBindings", .map(portBindings)),
                ("RestartPolicy", .object([("Name", .string("no")), ("MaximumRetryCount", .int(0))])),
                ("AutoRemove", .bool(record.autoRemove)),
                ("ExtraHosts", GoJSON.strings(record.extraHosts)),
                ("ReadonlyRootfs", .bool(record.readOnly)),
                ("Runtime", .string("runc")),
                // Docker's Resources members kiln sets, in Docker's order.
                ("CpuShares", .int(limits.cpuShares)),
                ("Memory", .int(limits.memory)),
                ("NanoCpus", .int(limits.nanoCPUs)),
                ("CpuPeriod", .int(0)),
                ("CpuQuota", .int(0)),
                ("CpusetCpus", .string(limits.cpusetCpus)),
                ("MemoryReservation", .int(limits.memoryReservation)),
                ("MemorySwap", .int(limits.memorySwap)),
                ("PidsLimit", limits.pidsLimit.map { GoJSON.int($0) } ?? .null),
            ])),
            ("GraphDriver", .object([("Data", .map([
                ("LowerDir", .string(record.lowerDirs.reversed().joined(separator: ":"))),
                ("MergedDir", .string(folder + "/rootfs")),
                ("UpperDir", .string(folder + "/upper")),
                ("WorkDir", .string(folder + "/work")),
            ])), ("Name", .string("overlay2"))])),
            ("Mounts", .array(mounts)),
            ("Config", .object(config)),
            ("NetworkSettings", .object([
                ("Bridge", .string("")), ("SandboxID", .string("")), ("HairpinMode", .bool(false)),
                ("Ports", .map(ports)),
                ("SandboxKey", .string("")),
                ("IPAddress", .string("")), ("Gateway", .string("")), ("MacAddress", .string("")),
                ("Networks", .map([(networkMode == "default" ? "private" : networkMode, .object([("NetworkID", .string(record.network))]))])),
            ])),
        ])
    }

    /// `docker ps --format`'s fields (and `--format json`'s object).
    static func listEntry(_ record: ContainerRecord, _ state: ContainerState, status: String, truncate: Bool) -> GoJSON {
        var command = record.listCommand
        if truncate { command = HumanUnits.ellipsis(command, 20) }
        let labels = (record.labels ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        return .object([
            ("Command", .string(GoQuote.quote(command))),
            ("CreatedAt", .string(ImagesCommand.goTime(record.created))),
            ("ID", .string(truncate ? record.shortID : record.id)),
            ("Image", .string(record.image)),
            ("Labels", .string(labels)),
            ("LocalVolumes", .string("0")),
            ("Mounts", .string(record.binds.map { String($0.split(separator: ":")[0]) }.joined(separator: ","))),
            ("Names", .string(record.name)),
            ("Networks", .string(record.network == "private" ? "private" : record.network)),
            ("Ports", .string(record.ports.map(\.psText).joined(separator: ", "))),
            ("RunningFor", .string(HumanUnits.ago(record.created))),
            ("Size", .string("0B")),
            ("State", .string(state.status)),
            ("Status", .string(status)),
        ])
    }

    static let listHeaders: [String: String] = [
        "Command": "COMMAND", "CreatedAt": "CREATED AT", "ID": "CONTAINER ID", "Image": "IMAGE", "Labels": "LABELS",
        "LocalVolumes": "LOCAL VOLUMES", "Mounts": "MOUNTS", "Names": "NAMES", "Networks": "NETWORKS", "Ports": "PORTS",
        "RunningFor": "CREATED", "Size": "SIZE", "State": "STATE", "Status": "STATUS",
    ]
}
