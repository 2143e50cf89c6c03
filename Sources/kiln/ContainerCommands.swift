import ArgumentParser
import ContainerRuntime
import Containers
import DockerfileSyntax
import Foundation
import ImageStore

/// The containers of the store named by `--root`, and the engine that acts on them (the
/// Containers module); its failures printed as `kiln: error: MESSAGE`.
struct ContainerContext {
    let location: StoreLocation
    let control: ContainerControl
    var containers: ContainerStore { control.containers }

    init(_ options: StoreOptions) throws {
        location = try options.location()
        control = ContainerControl(location: location)
    }

    func runner() throws -> ContainerRunner {
        try reportingContainerErrors { try control.runner() }
    }

    /// The container `name` names, or Docker's message and exit status 1.
    func find(_ name: String) throws -> ContainerRecord {
        try reportingContainerErrors { try containers.find(name) }
    }

    /// Docker's multi-container commands (stop, kill, rm): `body` acts on each named container, whose
    /// name is printed when it returns true; a failure (reported by `body` or thrown) does not stop
    /// the rest, and the command then exits 1.
    func forEach(_ names: [String], _ body: (ContainerRecord, String) throws -> Bool) throws {
        var failed = false
        for name in names {
            do {
                if try body(try containers.find(name), name) { printOut(name) } else { failed = true }
            } catch is ExitCode {
                failed = true
            } catch {
                printError("kiln: error: \(error)")
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}

/// Runs `body`; a ContainerError is printed as `kiln: error: MESSAGE` and kiln exits with its status.
func reportingContainerErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ContainerError {
        printError("kiln: error: \(error.message)")
        throw ExitCode(error.status)
    }
}

/// `kiln ps [-a] [-q] [--no-trunc] [--filter K=V]... [--format F] [-n N] [-l]`, as `docker ps`.
/// Filters: `status`, `name` (a regular expression searched in the name), `id` (prefix),
/// `ancestor` (image name, name:tag or ID prefix), `label` (KEY or KEY=VALUE), `exited` (exit code),
/// `before`/`since` (a container name or ID). A `status` or `exited` filter looks at all containers.
struct PsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "List containers")

    @OptionGroup var store: StoreOptions
    @Flag(name: .shortAndLong, help: "Show all containers (default shows just running)")
    var all = false
    @Flag(name: .shortAndLong, help: "Only display container IDs")
    var quiet = false
    @Flag(name: .customLong("no-trunc"), help: "Don't truncate output")
    var noTrunc = false
    @Option(name: .shortAndLong, help: ArgumentHelp("Filter output based on conditions provided", valueName: "filter"))
    var filter: [String] = []
    @Option(help: ArgumentHelp("Pretty-print containers using a Go template, 'table', 'table TEMPLATE' or 'json'", valueName: "string"))
    var format: String?
    @Option(name: [.customShort("n"), .customLong("last")], help: ArgumentHelp("Show n last created containers (includes all states)", valueName: "int"))
    var last: Int = -1
    @Flag(name: .shortAndLong, help: "Show the latest created container (includes all states)")
    var latest = false

    static let filterKeys: Set<String> = ["status", "name", "id", "ancestor", "label", "exited", "before", "since"]
    static let statuses: Set<String> = ["created", "restarting", "running", "removing", "paused", "exited", "dead"]

    func run() async throws {
        let context = try ContainerContext(store)
        let filters = try ListFilters(filter, allowed: Self.filterKeys)
        for status in filters.values["status"] ?? [] where !Self.statuses.contains(status) {
            printError("kiln: error: invalid filter 'status=\(status)'")
            throw ExitCode(1)
        }
        let output = try OutputFormat(format)
        var records = context.containers.all()
        let showAll = all || filters.has("status") || filters.has("exited") || latest || last > 0
        if let before = filters.values["before"]?.first {
            guard let pivot = context.containers.lookup(before) else { return try noSuchContainer(before) }
            records = records.filter { $0.created < pivot.created }
        }
        if let since = filters.values["since"]?.first {
            guard let pivot = context.containers.lookup(since) else { return try noSuchContainer(since) }
            records = records.filter { $0.created > pivot.created }
        }
        if latest { records = Array(records.prefix(1)) } else if last > 0 { records = Array(records.prefix(last)) }
        let images = try await ancestorIDs(filters.values["ancestor"] ?? [])
        var entries: [GoJSON] = []
        var table = TableWriter()
        table.add(["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"])
        for record in records {
            let state = context.containers.state(record.id)
            if !showAll, state.status != "running" { continue }
            guard filters.match("status", { $0 == state.status }),
                  filters.match("id", { record.id.hasPrefix($0) }),
                  filters.match("name", { pattern in record.name.range(of: pattern, options: .regularExpression) != nil }),
                  filters.match("exited", { state.status == "exited" && Int32($0) == (state.exitCode ?? 0) }),
                  filters.match("ancestor", { name in images[name]?.contains(record.imageID) ?? false || record.image == name }),
                  filters.matchLabels(record.labels ?? [:]) else { continue }
            if quiet {
                printOut(noTrunc ? record.id : record.shortID)
                continue
            }
            let status = Self.status(record, state)
            entries.append(ContainerDocuments.listEntry(record, state, status: status, truncate: !noTrunc))
            var command = record.listCommand
            if !noTrunc { command = HumanUnits.ellipsis(command, 20) }
            table.add([noTrunc ? record.id : record.shortID, record.image, GoQuote.quote(command),
                       HumanUnits.ago(record.created), status,
                       record.ports.map(\.psText).joined(separator: ", "), record.name])
        }
        if quiet { return }
        if let text = try output.render(entries, headers: ContainerDocuments.listHeaders) {
            if !text.isEmpty { printOut(text) }
        } else {
            printOut(table.render())
        }
    }

    private func noSuchContainer(_ name: String) throws {
        printError("kiln: error: No such container: \(name)")
        throw ExitCode(1)
    }

    /// The image IDs each `ancestor` filter value names (by reference or ID prefix).
    private func ancestorIDs(_ names: [String]) async throws -> [String: Set<String>] {
        guard !names.isEmpty else { return [:] }
        return try await ImageCommandSupport.withService(store) { service in
            var result: [String: Set<String>] = [:]
            for name in names {
                if let image = try? await service.localImage(name) { result[name, default: []].insert(image.id.description) }
            }
            return result
        }
    }

    /// Docker's STATUS column: `Created`, `Up 3 seconds`, `Exited (0) 2 minutes ago`.
    static func status(_ record: ContainerRecord, _ state: ContainerState) -> String {
        switch state.status {
        case "running":
            var text = "Up " + HumanUnits.duration(Date().timeIntervalSince(state.startedAt ?? record.created))
            switch state.health {
            case "healthy": text += " (healthy)"
            case "unhealthy": text += " (unhealthy)"
            case "starting": text += " (health: starting)"
            default: break
            }
            return text
        case "exited":
            return "Exited (\(state.exitCode ?? 0)) " + HumanUnits.ago(state.finishedAt)
        default:
            return "Created"
        }
    }
}

/// `kiln stop [-t SECONDS] [-s SIGNAL] CONTAINER...`, as `docker stop`: the stop signal, then SIGKILL
/// after the timeout (default 10 s).
struct StopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop one or more running containers")

    @OptionGroup var store: StoreOptions
    @Option(name: [.short, .customLong("time"), .customLong("timeout")], help: "Seconds to wait before killing the container")
    var time: Int?
    @Option(name: .shortAndLong, help: "Signal to send to the container")
    var signal: String?
    @Argument var containers: [String]

    func run() async throws {
        let context = try ContainerContext(store)
        try context.forEach(containers) { record, _ in
            try context.control.stop(record, signal: signal, timeout: time)
            return true
        }
    }
}

/// `kiln kill [-s SIGNAL] CONTAINER...`, as `docker kill` (default SIGKILL).
struct KillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kill", abstract: "Kill one or more running containers")

    @OptionGroup var store: StoreOptions
    @Option(name: .shortAndLong, help: "Signal to send to the container")
    var signal = "KILL"
    @Argument var containers: [String]

    func run() async throws {
        let context = try ContainerContext(store)
        guard let number = Signals.number(signal) else {
            printError("invalid signal: \(signal)")
            throw ExitCode(1)
        }
        try context.forEach(containers) { record, name in
            guard try context.control.kill(record, signal: number) else {
                printError("kiln: error: Cannot kill container: \(name): Container \(record.id) is not running")
                return false
            }
            return true
        }
    }
}

/// `kiln rm [-f] CONTAINER...`, as `docker rm`: deletes the container and its writable layer.
struct RmCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove one or more containers")

    @OptionGroup var store: StoreOptions
    @Flag(name: .shortAndLong, help: "Force the removal of a running container (uses SIGKILL)")
    var force = false
    @Argument var containers: [String]

    func run() async throws {
        let context = try ContainerContext(store)
        try context.forEach(containers) { record, _ in
            try context.control.remove(record, force: force)
            return true
        }
    }
}

/// `kiln port CONTAINER`, as `docker port`: `80/tcp -> 127.0.0.1:8080`.
struct PortCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "port", abstract: "List port mappings for the container")

    @OptionGroup var store: StoreOptions
    @Argument var container: String
    @Argument(help: ArgumentHelp("Only this port", valueName: "PRIVATE_PORT[/PROTO]"))
    var port: String?

    func run() async throws {
        let context = try ContainerContext(store)
        let record = try context.find(container)
        var mappings = record.ports
        if let port {
            let parts = port.split(separator: "/").map(String.init)
            let proto = parts.count > 1 ? parts[1] : "tcp"
            mappings = mappings.filter { String($0.containerPort) == parts[0] && $0.proto == proto }
            guard !mappings.isEmpty else {
                printError("Error: No public port '\(parts[0])/\(proto)' published for \(container)")
                throw ExitCode(1)
            }
            for mapping in mappings { printOut(mapping.portLine.components(separatedBy: " -> ").last!) }
            return
        }
        for mapping in mappings { printOut(mapping.portLine) }
    }
}

/// `kiln exec [-i] [-t] [-d] [-e K=V] [-u USER] [-w DIR] CONTAINER COMMAND [ARG...]`, as `docker exec`:
/// the container's environment (read from its first process, never from the store) plus `-e`.
struct ExecCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exec", abstract: "Execute a command in a running container")

    @OptionGroup var store: StoreOptions
    @Flag(name: .shortAndLong, help: "Keep STDIN open")
    var interactive = false
    @Flag(name: .shortAndLong, help: "Allocate a pseudo-TTY")
    var tty = false
    @Option(name: .shortAndLong, help: ArgumentHelp("Set environment variables", valueName: "list"))
    var env: [String] = []
    @Option(name: .shortAndLong, help: ArgumentHelp("Username or UID (format: <name|uid>[:<group|gid>])", valueName: "string"))
    var user: String?
    @Option(name: .shortAndLong, help: ArgumentHelp("Working directory inside the container", valueName: "string"))
    var workdir: String?
    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("The container, then the command", valueName: "CONTAINER COMMAND [ARG...]"))
    var containerAndCommand: [String] = []

    func run() async throws {
        if let first = containerAndCommand.first, first == "--help" || first == "-h" {
            printOut(Self.helpMessage())
            return
        }
        guard containerAndCommand.count >= 2 else {
            printError("kiln: 'kiln exec' requires at least 2 arguments.\nSee 'kiln exec --help'.")
            throw ExitCode(1)
        }
        let context = try ContainerContext(store)
        let record = try context.find(containerAndCommand[0])
        let userEnv = try RunEnvironment.userValues(env, envFiles: [])
        let status = try reportingContainerErrors {
            try context.control.exec(record, args: Array(containerAndCommand.dropFirst()), env: userEnv, user: user,
                                     workdir: workdir, tty: tty, interactive: interactive)
        }
        throw ExitCode(status)
    }
}
