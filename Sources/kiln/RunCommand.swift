import ArgumentParser
import ContainerRuntime
import Foundation
import ImageSpec
import ImageStore
import Images

/// `kiln run`, as `docker run`: a container from an image, in the foreground (its exit status
/// becomes kiln's) or detached (`-d`: a monitor process runs it; the ID is printed).
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Create and run a new container from an image")

    @OptionGroup var store: StoreOptions

    @Flag(help: "Automatically remove the container and its writable layer when it exits")
    var rm = false
    @Flag(name: .shortAndLong, help: "Run container in background and print container ID")
    var detach = false
    @Option(help: "Assign a name to the container")
    var name: String?
    @Option(name: .shortAndLong, help: ArgumentHelp("Set environment variables (never stored)", valueName: "list"))
    var env: [String] = []
    @Option(name: .customLong("env-file"), help: ArgumentHelp("Read in a file of environment variables (never stored)", valueName: "list"))
    var envFile: [String] = []
    @Option(name: .shortAndLong, help: ArgumentHelp("Username or UID (format: <name|uid>[:<group|gid>])", valueName: "string"))
    var user: String?
    @Option(name: .shortAndLong, help: ArgumentHelp("Working directory inside the container", valueName: "string"))
    var workdir: String?
    @Option(help: ArgumentHelp("Overwrite the default ENTRYPOINT of the image", valueName: "string"))
    var entrypoint: String?
    @Option(name: .shortAndLong, help: ArgumentHelp("Publish a container's port(s) to the host", valueName: "list"))
    var publish: [String] = []
    @Flag(name: [.customShort("P"), .customLong("publish-all")], help: "Publish all exposed ports to random ports")
    var publishAll = false
    @Option(name: .shortAndLong, help: ArgumentHelp("Bind mount a volume (SRC:DST[:ro])", valueName: "list"))
    var volume: [String] = []
    @Option(help: ArgumentHelp("Connect a container to a network: private (default), host, none", valueName: "network"))
    var network = "private"
    @Flag(name: .shortAndLong, help: "Keep STDIN open")
    var interactive = false
    @Flag(name: .shortAndLong, help: "Allocate a pseudo-TTY")
    var tty = false
    @Flag(name: .customLong("read-only"), help: "Mount the container's root filesystem as read only")
    var readOnly = false
    @Option(name: .customLong("stop-signal"), help: ArgumentHelp("Signal to stop the container", valueName: "string"))
    var stopSignal: String?

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("The image, then the command and its arguments", valueName: "IMAGE [COMMAND] [ARG...]"))
    var imageAndCommand: [String] = []

    func run() async throws {
        guard let imageName = imageAndCommand.first else {
            printError("kiln: 'kiln run' requires at least 1 argument.\nSee 'kiln run --help'.")
            throw ExitCode(125)
        }
        let arguments = Array(imageAndCommand.dropFirst())
        guard ["private", "host", "none", "bridge", "default"].contains(network) else {
            printError("kiln: Error response from daemon: network \(network) not found.")
            throw ExitCode(125)
        }
        if interactive, tty, !detach, isatty(0) != 1 {
            printError("kiln: the input device is not a TTY")
            throw ExitCode(1)
        }
        let networkMode = ["bridge", "default"].contains(network) ? "private" : network
        let location = try store.location()
        // The image and its snapshots.
        let (image, lowerDirs) = try await Self.dockerStatus { try await ImageCommandSupport.withService(store) { service -> (LocalImage, [String]) in
            var found = try await service.localImage(imageName)
            if found == nil, ImageService.looksLikeImageID(imageName) {
                // An image ID names a local image only: never a pull of repository "sha256".
                throw ImagesError(.noSuchImage, "No such image: \(imageName)")
            }
            if found == nil {
                let reference = try ImageCommandSupport.reference(imageName)
                printError("Unable to find image '\(reference.familiar)' locally")
                found = try await service.pull(reference, platform: .host)
            }
            return (found!, try await service.snapshots(for: found!).map(\.path))
        } }
        let config = image.config.config
        let argv = RunCommandLine.argv(imageEntrypoint: config.entrypoint, imageCmd: config.cmd,
                                       entrypointFlag: entrypoint, arguments: arguments)
        guard let path = argv.first else {
            printError("kiln: Error response from daemon: no command specified.")
            throw ExitCode(125)
        }
        let userEnv = try RunEnvironment.userValues(env, envFiles: envFile)
        var ports: [PortSpec] = []
        do {
            for spec in publish { ports += try PortSpec.parse(spec) }
        } catch {
            printError("kiln: \(error)")
            throw ExitCode(125)
        }
        if publishAll {
            do {
                let exposed = try PortSpec.publishAll(exposedPorts: config.exposedPorts.sorted())
                ports += exposed.filter { e in !ports.contains { $0.containerPort == e.containerPort && $0.proto == e.proto } }
            } catch {
                printError("kiln: \(error)")
                throw ExitCode(125)
            }
        }
        var binds: [String] = []
        for spec in volume {
            let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard (2...3).contains(parts.count), parts[0].hasPrefix("/"), parts[1].hasPrefix("/"),
                  parts.count == 2 || ["ro", "rw"].contains(parts[2]) else {
                printError("kiln: Error response from daemon: invalid volume specification: '\(spec)' (use an absolute host path: SRC:DST[:ro])")
                throw ExitCode(125)
            }
            try? FileManager.default.createDirectory(atPath: parts[0], withIntermediateDirectories: true)
            binds.append(parts.joined(separator: ":"))
        }
        let signalName = stopSignal ?? config.stopSignal ?? "SIGTERM"
        guard Signals.number(signalName) != nil else {
            printError("kiln: Error response from daemon: invalid signal: \(signalName)")
            throw ExitCode(125)
        }
        if let name, name.range(of: #"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$"#, options: .regularExpression) == nil {
            printError("kiln: Error response from daemon: Invalid container name (\(name)), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed.")
            throw ExitCode(125)
        }
        let id = newContainerID()
        let draft = ContainerRecord(
            id: id, name: name.map { $0.hasPrefix("/") ? String($0.dropFirst()) : $0 } ?? ContainerNames.random(),
            image: imageName, imageID: image.id.description, created: Date(),
            path: path, args: Array(argv.dropFirst()), workingDir: workdir ?? config.workingDir ?? "",
            user: user ?? config.user ?? "", tty: tty, interactive: interactive, autoRemove: rm, readOnly: readOnly,
            network: networkMode, ports: ports, binds: binds, stopSignal: signalName,
            healthcheck: config.healthcheck.flatMap { check in
                check.test.first == "NONE" || check.test.count < 2 ? nil
                    : HealthSettings(test: check.test, interval: Self.seconds(check.interval), timeout: Self.seconds(check.timeout),
                                     startPeriod: Self.seconds(check.startPeriod), retries: check.retries)
            },
            lowerDirs: lowerDirs)
        let containers = ContainerStore(location: location)
        let record = try containers.create(draft, nameGenerated: name == nil)
        let processEnv = RunEnvironment.merge(hostname: record.shortID, tty: tty, imageEnv: config.env, userEnv: userEnv)
        if detach {
            try startMonitor(record, env: processEnv, location: location)
            printOut(id)
            return
        }
        let session = ContainerSession(location: location, record: record, env: processEnv, foreground: true)
        let status = session.run { failure, _ in
            if let failure { printError("kiln: Error response from daemon: \(failure)") }
        }
        throw ExitCode(status)
    }

    /// `docker run` exits 125 when the daemon fails (no such image, pull error), not 1.
    static func dockerStatus<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let exit as ExitCode where exit.rawValue == 1 {
            throw ExitCode(125)
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Starts `kiln __monitor` in its own session; hands it the environment through a pipe, and
    /// waits until it reports the container running (or failed).
    private func startMonitor(_ record: ContainerRecord, env: [String], location: StoreLocation) throws {
        let plan = try DetachedProcess.pipe(), report = try DetachedProcess.pipe()
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let log = open(ContainerStore(location: location).folder(record.id).appendingPathComponent("monitor.log").path,
                       O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        defer { if log >= 0 { close(log) } }
        do {
            _ = try DetachedProcess.spawn(executable, ["__monitor", "--root", location.root.path, record.id],
                                          stdin: plan.read, stdout: report.write, stderr: log >= 0 ? log : nil)
        } catch {
            close(plan.read); close(plan.write); close(report.read); close(report.write)
            printError("kiln: Error response from daemon: cannot start the container monitor: \(error)")
            throw ExitCode(125)
        }
        close(plan.read)
        close(report.write)
        let data = try JSONEncoder().encode(env)
        writeAll(plan.write, Array(data))
        close(plan.write)
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(report.read, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        close(report.read)
        let answer = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if answer.hasPrefix("error ") {
            let parts = answer.dropFirst(6).split(separator: " ", maxSplits: 1).map(String.init)
            printError("kiln: Error response from daemon: \(parts.count > 1 ? parts[1] : answer)")
            throw ExitCode(Int32(parts[0]) ?? 125)
        }
        if answer != "ok" {
            printError("kiln: Error response from daemon: the container monitor ended without reporting (see \(ContainerStore(location: location).folder(record.id).path)/monitor.log)")
            throw ExitCode(125)
        }
    }
}

/// `kiln __monitor ID` (hidden): runs a detached container until it ends. Reads the container's
/// environment (JSON array) from stdin, answers `ok` or `error STATUS MESSAGE` on stdout once the
/// container runs, then closes both.
struct MonitorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "__monitor", shouldDisplay: false)

    @OptionGroup var store: StoreOptions

    @Argument var id: String

    func run() async throws {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        let null = open("/dev/null", O_RDWR)
        dup2(null, 0)
        let env = (try? JSONDecoder().decode([String].self, from: Data(bytes))) ?? []
        bytes = []
        let location = try store.location()
        let containers = ContainerStore(location: location)
        let record = try containers.record(id)
        let session = ContainerSession(location: location, record: record, env: env, foreground: false)
        var reported = false
        let status = session.run { failure, status in
            guard !reported else { return }
            reported = true
            let answer = failure.map { "error \(status) \($0)" } ?? "ok"
            writeAll(1, Array((answer + "\n").utf8))
            dup2(null, 1)
        }
        if !reported {
            writeAll(1, Array("ok\n".utf8))
            dup2(null, 1)
        }
        throw ExitCode(status)
    }
}
