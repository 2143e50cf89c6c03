import ArgumentParser
import ContainerRuntime
import Containers
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
    @Option(help: ArgumentHelp("Set platform if server is multi-platform capable (a foreign one runs through QEMU: kiln setup-binfmt)", valueName: "string"))
    var platform: String?

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
    @Option(name: .customLong("security-opt"), help: ArgumentHelp("Security Options: seccomp=unconfined|PROFILE.json, no-new-privileges", valueName: "list"))
    var securityOpt: [String] = []
    @Option(name: .customLong("add-host"), help: ArgumentHelp("Add a custom host-to-IP mapping (host:ip; ip may be host-gateway)", valueName: "list"))
    var addHost: [String] = []
    @Option(name: .shortAndLong, help: ArgumentHelp("Set meta data on a container", valueName: "list"))
    var label: [String] = []
    @OptionGroup var resources: ResourceOptions

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("The image, then the command and its arguments", valueName: "IMAGE [COMMAND] [ARG...]"))
    var imageAndCommand: [String] = []

    func run() async throws {
        if let first = imageAndCommand.first, first == "--help" || first == "-h" {
            printOut(Self.helpMessage())  // the passthrough argument captures it before ArgumentParser does
            return
        }
        guard let imageName = imageAndCommand.first else {
            printError("kiln: 'kiln run' requires at least 1 argument.\nSee 'kiln run --help'.")
            throw ExitCode(125)
        }
        let arguments = Array(imageAndCommand.dropFirst())
        guard ["private", "host", "none", "bridge", "default"].contains(network) else {
            printError("kiln: error: network \(network) not found.")
            throw ExitCode(125)
        }
        // Checked before the image is looked up, as Docker's CLI and daemon do.
        let limits = try resources.limits()
        if interactive, tty, !detach, isatty(0) != 1 {
            printError("kiln: the input device is not a TTY")
            throw ExitCode(1)
        }
        let networkMode = ["bridge", "default"].contains(network) ? "private" : network
        let location = try store.location()
        // The image and its snapshots.
        let (image, lowerDirs) = try await Self.dockerStatus { try await ImageCommandSupport.withService(store) { service -> (LocalImage, [String]) in
            if let platform {
                let image = try await RunPlatformImage.resolve(imageName, platform: try PullCommand.parsePlatform(platform), service: service)
                return (image, try await service.snapshots(for: image).map(\.path))
            }
            var found = try await service.localImage(imageName)
            if found == nil, ImageService.looksLikeImageID(imageName) {
                // An image ID names a local image only: never a pull of repository "sha256".
                throw ImagesError(.noSuchImage, "No such image: \(imageName)")
            }
            if let image = found, !ImageService.looksLikeImageID(imageName), try !service.holdComplete(image) {
                found = nil  // its blobs went to a prune meanwhile: pulled again below
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
            printError("kiln: error: no command specified.")
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
                printError("kiln: error: invalid volume specification: '\(spec)' (use an absolute host path: SRC:DST[:ro])")
                throw ExitCode(125)
            }
            try? FileManager.default.createDirectory(atPath: parts[0], withIntermediateDirectories: true)
            binds.append(parts.joined(separator: ":"))
        }
        let signalName = stopSignal ?? config.stopSignal ?? "SIGTERM"
        guard Signals.number(signalName) != nil else {
            printError("kiln: error: invalid signal: \(signalName)")
            throw ExitCode(125)
        }
        if let name, name.range(of: #"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$"#, options: .regularExpression) == nil {
            printError("kiln: error: Invalid container name (\(name)), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed.")
            throw ExitCode(125)
        }
        let security: SecurityOptionFlags
        do {
            security = try SecurityOptionFlags(securityOpt)
        } catch {
            printError("kiln: \(error)")
            throw ExitCode(125)
        }
        let extraHosts = try AddHosts.parse(addHost, privateNetwork: networkMode == "private", status: 125)
        var labels = config.labels
        for entry in label {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            labels[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        let id = newContainerID()
        var draft = ContainerRecord(
            id: id, name: name.map { $0.hasPrefix("/") ? String($0.dropFirst()) : $0 } ?? ContainerNames.random(),
            image: imageName, imageID: image.id.description, created: Date(),
            path: path, args: Array(argv.dropFirst()), workingDir: workdir ?? config.workingDir ?? "",
            user: user ?? config.user ?? "", tty: tty, interactive: interactive, autoRemove: rm, readOnly: readOnly,
            network: networkMode, ports: ports, binds: binds, stopSignal: signalName,
            healthcheck: config.healthcheck.flatMap { HealthSettings(image: $0) },
            lowerDirs: lowerDirs, labels: labels, extraHosts: extraHosts,
            entrypoint: entrypoint.map { $0.isEmpty ? [] : [$0] } ?? config.entrypoint,
            cmd: !arguments.isEmpty ? arguments : entrypoint != nil ? nil : config.cmd,
            imageEnv: config.env, exposedPorts: config.exposedPorts.sorted())
        draft.seccomp = security.seccomp
        draft.noNewPrivileges = security.noNewPrivileges ? true : nil
        draft.resources = limits.isEmpty ? nil : limits
        let containers = ContainerStore(location: location)
        let record = try reportingContainerErrors { try containers.create(draft, nameGenerated: name == nil) }
        let processEnv = ContainerEnvironment.merge(hostname: record.shortID, tty: tty, imageEnv: config.env, userEnv: userEnv)
        if detach {
            try reportingContainerErrors { try ContainerMonitor.start(record, env: processEnv, location: location, removeOnFailure: true) }
            printOut(id)
            return
        }
        let session = ContainerSession(location: location, record: record, env: processEnv, foreground: true)
        throw ExitCode(session.runInForeground { printError("kiln: error: \($0)") })
    }

    /// `docker run` exits 125 when the daemon fails (no such image, pull error), not 1.
    static func dockerStatus<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let exit as ExitCode where exit.rawValue == 1 {
            throw ExitCode(125)
        }
    }
}

/// `kiln __monitor ID` (hidden): runs a detached container until it ends (ContainerMonitor.serve).
/// `kiln __monitor --reap --monitor-pid PID ID`: what the death guard of a container's supervisor runs
/// once that supervisor (pid PID) died (OrphanedContainer.reap).
struct MonitorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "__monitor", shouldDisplay: false)

    @OptionGroup var store: StoreOptions

    @Flag var reap = false
    @Option var monitorPID: Int32 = 0

    @Argument var id: String

    func run() async throws {
        if reap {
            OrphanedContainer.reap(location: try store.location(), id: id, monitorPID: monitorPID)
            return
        }
        throw ExitCode(try ContainerMonitor.serve(location: try store.location(), id: id))
    }
}
