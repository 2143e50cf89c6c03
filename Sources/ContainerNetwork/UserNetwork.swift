#if canImport(Glibc)
import Glibc
#endif

/// A container's network through pasta, a user-space network stack: the container's own network namespace
/// gets loopback, an `eth0` with the host's address, a default route and outbound connectivity through
/// pasta's sockets, and the published ports are bound on the host by pasta and forwarded into the namespace.
/// The host's firewall and routing are never touched.
///
/// The host's loopback stays out of reach: the namespace's 127.0.0.1 is its own, pasta forwards nothing
/// from it (`--tcp-ns none`) and does not map the gateway address to the host (`--no-map-gw`). Only DNS
/// queries to `nameservers` reach the host's resolver (wherever it listens, its loopback included).
public final class UserNetwork: Sendable {
    /// The pasta process serving the network.
    public let helperPID: Int32
    /// The published ports, with their real host ports.
    public let ports: [PortMapping]
    /// What the container's /etc/resolv.conf should name: pasta's DNS forwarding address; empty when the host
    /// has no resolver (then keep the host's resolv.conf without loopback entries, as Docker does).
    public let nameservers: [String]
    /// The directory holding the namespace file, pasta's PID file and log.
    public let stateDirectory: String

    init(helperPID: Int32, ports: [PortMapping], nameservers: [String], stateDirectory: String) {
        self.helperPID = helperPID
        self.ports = ports
        self.nameservers = nameservers
        self.stateDirectory = stateDirectory
    }

    /// The /etc/resolv.conf a container on this network gets: pasta's DNS forwarding address with the
    /// host's `search`/`options` lines, or nil when the host names no nameserver (then Docker's rule for
    /// the host's file applies).
    public static func resolvConf(hostResolvConf: String) -> String? {
        guard PastaCommand.hasNameserver(hostResolvConf) else { return nil }
        let kept = hostResolvConf.split(separator: "\n").filter { $0.hasPrefix("search") || $0.hasPrefix("options") }
        return (["nameserver \(PastaCommand.dnsForwardAddress)"] + kept.map(String.init)).joined(separator: "\n") + "\n"
    }

    /// The pasta binary, or nil when Debian's passt package is not installed.
    public static var pastaPath: String? {
        ["/usr/bin/pasta", "/usr/local/bin/pasta", "/usr/sbin/pasta", "/bin/pasta"].first { access($0, X_OK) == 0 }
    }

    /// Gives the network namespace of process `pid` outbound connectivity and publishes `ports` (a pasta
    /// process); returns when ready. `stateDirectory` (created if needed) receives `netns`, `pasta.pid` and
    /// `pasta.log`.
    public static func start(pid: Int32, ports: [PortMapping], stateDirectory: String) throws -> UserNetwork {
        try start(pid: pid, ports: ports, stateDirectory: stateDirectory, dnsServers: [])
    }

    /// `start`, with upstream resolvers other than the host's /etc/resolv.conf ones (IP addresses).
    public static func start(pid: Int32, ports: [PortMapping], stateDirectory: String, dnsServers: [String]) throws -> UserNetwork {
        guard let pasta = pastaPath else {
            throw ContainerNetworkError.helperMissing("pasta was not found (apt-get install passt)")
        }
        for mapping in ports where mapping.proto != "tcp" && mapping.proto != "udp" {
            throw ContainerNetworkError.invalidPortSpec(spec: "\(mapping)", reason: "only tcp and udp ports can be published")
        }
        // pasta would only log "Failed to bind"; say which address is taken instead.
        for mapping in ports where !HostPorts.isFree(ip: mapping.hostIP, port: mapping.hostPort, proto: mapping.proto) {
            let host = mapping.hostIP.contains(":") ? "[\(mapping.hostIP)]" : mapping.hostIP
            throw ContainerNetworkError.portInUse("\(host):\(mapping.hostPort)/\(mapping.proto)")
        }
        try makeDirectories(stateDirectory)
        let files = StateFiles(stateDirectory)
        NetworkNamespaceFile.release(files.netns)
        try NetworkNamespaceFile.bind(pid: pid, to: files.netns)
        return try serve(files: files, ports: ports, dnsServers: dnsServers, pasta: pasta)
    }

    /// A network namespace of its own, no process in it, served by pasta (outbound connectivity over IPv4, DNS
    /// forwarding, no published ports): what a build's RUN steps share (`NetworkMode.joined(namespaceFile)`).
    /// IPv4 only, as Docker's default bridge; a host pasta cannot serve that way (no IPv4 route) gets both.
    /// `stateDirectory` (created if needed, mode 0700) receives `netns`, `pasta.pid` and `pasta.log`; `stop()`
    /// ends pasta and removes the namespace. pasta also exits by itself when the `netns` file goes away (the
    /// store's cleanup of a killed build's scratch folder unmounts it).
    public static func startDetached(stateDirectory: String, dnsServers: [String] = []) throws -> UserNetwork {
        guard let pasta = pastaPath else {
            throw ContainerNetworkError.helperMissing("pasta was not found (apt-get install passt)")
        }
        try makeDirectories(stateDirectory)
        let files = StateFiles(stateDirectory)
        NetworkNamespaceFile.release(files.netns)
        try NetworkNamespaceFile.create(at: files.netns)
        do {
            return try serve(files: files, ports: [], dnsServers: dnsServers, pasta: pasta, ipv4Only: true, keepNamespace: true)
        } catch ContainerNetworkError.helperFailed {
            return try serve(files: files, ports: [], dnsServers: dnsServers, pasta: pasta)
        } catch {
            NetworkNamespaceFile.release(files.netns)
            throw error
        }
    }

    /// The namespace file of this network (for `NetworkMode.joined`).
    public var namespaceFile: String { StateFiles(stateDirectory).netns }

    /// Starts pasta on the namespace bound at `files.netns`; releases the file when that fails (unless
    /// `keepNamespace`: the caller tries again).
    private static func serve(files: StateFiles, ports: [PortMapping], dnsServers: [String], pasta: String,
                              ipv4Only: Bool = false, keepNamespace: Bool = false) throws -> UserNetwork {
        unlink(files.pid)
        unlink(files.log)
        unlink(files.output)

        let resolvConf = HelperProcess.readFile("/etc/resolv.conf").map { String(decoding: $0, as: UTF8.self) } ?? ""
        let forwardDNS = !dnsServers.isEmpty || PastaCommand.hasNameserver(resolvConf)
        var command = PastaCommand(networkNamespaceFile: files.netns, ports: ports, pidFile: files.pid, logFile: files.log,
                                   forwardDNS: forwardDNS, dnsServers: dnsServers)
        command.ipv4Only = ipv4Only

        do {
            let status = try HelperProcess.runUntilDaemonized(pasta, command.arguments, outputFile: files.output)
            let diagnostics = files.diagnostics()
            guard status == 0 else {
                if diagnostics.contains("Failed to bind") {
                    throw ContainerNetworkError.portInUse(ports.map { "\($0.hostIP):\($0.hostPort)/\($0.proto)" }.joined(separator: ", ")
                                                          + " (pasta: \(diagnostics))")
                }
                throw ContainerNetworkError.helperFailed("exit status \(status): \(diagnostics)")
            }
            guard let text = HelperProcess.readFile(files.pid).map({ String(decoding: $0, as: UTF8.self) }),
                  let helper = Int32(text.filter { !$0.isWhitespace }), helper > 0 else {
                throw ContainerNetworkError.helperFailed("no PID in \(files.pid): \(diagnostics)")
            }
            return UserNetwork(helperPID: helper, ports: ports,
                               nameservers: forwardDNS ? [PastaCommand.dnsForwardAddress] : [], stateDirectory: files.directory)
        } catch {
            if !keepNamespace { NetworkNamespaceFile.release(files.netns) }
            throw error
        }
    }

    /// Ends the network helper `helperPID` (only if it is a pasta process: a reused PID is left alone), which
    /// frees its host ports, and removes the namespace file it served.
    public static func stop(helperPID: Int32) {
        guard let commandLine = HelperProcess.commandLine(of: helperPID), isPasta(commandLine) else { return }
        HelperProcess.terminate(helperPID)
        if let index = commandLine.firstIndex(of: "--netns"), index + 1 < commandLine.count {
            NetworkNamespaceFile.release(commandLine[index + 1])
        }
    }

    /// Ends this network's helper and removes its namespace file.
    public func stop() {
        Self.stop(helperPID: helperPID)
        NetworkNamespaceFile.release(StateFiles(stateDirectory).netns)
    }

    /// Removes what a network left in `stateDirectory` after its helper died on its own (the namespace file
    /// stays mounted until then); safe to call when nothing is left.
    public static func cleanUp(stateDirectory: String) {
        let files = StateFiles(stateDirectory)
        if let text = HelperProcess.readFile(files.pid).map({ String(decoding: $0, as: UTF8.self) }),
           let helper = Int32(text.filter { !$0.isWhitespace }) {
            stop(helperPID: helper)
        }
        NetworkNamespaceFile.release(files.netns)
    }

    /// `mkdir -p`, mode 0700.
    static func makeDirectories(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST {
                throw ContainerNetworkError.system("create \(prefix)", errno: errno)
            }
        }
    }

    static func isPasta(_ commandLine: [String]) -> Bool {
        guard let program = commandLine.first?.split(separator: "/").last else { return false }
        return (program.hasPrefix("pasta") || program.hasPrefix("passt")) && commandLine.contains("--netns")
    }
}

/// The files of one network in its state directory.
struct StateFiles {
    let directory: String
    let netns: String
    let pid: String
    let log: String
    let output: String

    init(_ directory: String) {
        self.directory = directory
        netns = directory + "/netns"
        pid = directory + "/pasta.pid"
        log = directory + "/pasta.log"
        output = directory + "/pasta.out"
    }

    /// pasta's own words: its log and its output, without syslog noise, for error messages.
    func diagnostics() -> String {
        let text = [log, output].compactMap { HelperProcess.readFile($0) }.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n")
        let lines = text.split(separator: "\n").map { String($0.drop(while: \.isWhitespace)) }
            .filter { !$0.isEmpty && !$0.hasPrefix("Failed to send") && !$0.hasPrefix("pasta unknown version") }
        return lines.joined(separator: "; ")
    }
}
