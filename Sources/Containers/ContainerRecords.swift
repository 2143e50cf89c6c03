import ContainerRuntime
import Foundation
import ImageStore

/// What `kiln run` decided about a container, kept in `kiln/containers/<id>/config.json`.
/// Never holds the `-e`/`--env-file` values: those live only in the memory of the process that
/// runs the container (see `ContainerSession`).
public struct ContainerRecord: Codable, Sendable {
    public var id: String
    public var name: String
    /// The image as the user named it, and its ID (`sha256:…`).
    public var image: String
    public var imageID: String
    public var created: Date
    /// Docker's `Path` and `Args`: the process's argv[0] and the rest.
    public var path: String
    public var args: [String]
    public var workingDir: String
    public var user: String
    public var tty: Bool
    public var interactive: Bool
    public var autoRemove: Bool
    public var readOnly: Bool
    /// "private", "host" or "none".
    public var network: String
    public var ports: [PortSpec]
    public var binds: [String]
    public var stopSignal: String
    /// The image's HEALTHCHECK, run by the process that runs the container.
    public var healthcheck: HealthSettings?
    /// The image's layer snapshots, base first.
    public var lowerDirs: [String]
    /// `--security-opt seccomp=…`: "unconfined", or the JSON of a profile file (Docker's format) as read
    /// by `kiln run`; nil for Docker's default profile.
    public var seccomp: String? = nil
    /// `--security-opt no-new-privileges`.
    public var noNewPrivileges: Bool? = nil
    /// The image's labels and `--label` values (absent in records of older kiln versions).
    public var labels: [String: String]? = nil
    /// `--add-host` entries, `host:ip`, with `host-gateway` already resolved.
    public var extraHosts: [String]? = nil
    /// Docker's `Config.Entrypoint` and `Config.Cmd`: the two halves of `path` + `args`.
    public var entrypoint: [String]? = nil
    public var cmd: [String]? = nil
    /// The image's environment (never the `-e`/`--env-file` values) and exposed ports.
    public var imageEnv: [String]? = nil
    public var exposedPorts: [String]? = nil
    /// `--memory`, `--cpus`, `--pids-limit` … (absent: no limits).
    public var resources: ResourceLimits? = nil

    /// A new container's record, as `kiln run` decides it (see the properties).
    public init(id: String, name: String, image: String, imageID: String, created: Date, path: String, args: [String],
                workingDir: String, user: String, tty: Bool, interactive: Bool, autoRemove: Bool, readOnly: Bool,
                network: String, ports: [PortSpec], binds: [String], stopSignal: String, healthcheck: HealthSettings?,
                lowerDirs: [String], seccomp: String? = nil, noNewPrivileges: Bool? = nil, labels: [String: String]? = nil,
                extraHosts: [String]? = nil, entrypoint: [String]? = nil, cmd: [String]? = nil,
                imageEnv: [String]? = nil, exposedPorts: [String]? = nil) {
        self.id = id
        self.name = name
        self.image = image
        self.imageID = imageID
        self.created = created
        self.path = path
        self.args = args
        self.workingDir = workingDir
        self.user = user
        self.tty = tty
        self.interactive = interactive
        self.autoRemove = autoRemove
        self.readOnly = readOnly
        self.network = network
        self.ports = ports
        self.binds = binds
        self.stopSignal = stopSignal
        self.healthcheck = healthcheck
        self.lowerDirs = lowerDirs
        self.seccomp = seccomp
        self.noNewPrivileges = noNewPrivileges
        self.labels = labels
        self.extraHosts = extraHosts
        self.entrypoint = entrypoint
        self.cmd = cmd
        self.imageEnv = imageEnv
        self.exposedPorts = exposedPorts
    }

    public var shortID: String { String(id.prefix(12)) }
    public var command: [String] { [path] + args }

    /// The daemon's `Command` of a container list entry: Path, then each argument, single-quoted
    /// when it holds a space (moby daemon/list.go).
    public var listCommand: String {
        ([path] + args.map { $0.contains(" ") ? "'\($0)'" : $0 }).joined(separator: " ")
    }
}

/// The container's life, in `kiln/containers/<id>/state.json` (replaced atomically).
public struct ContainerState: Codable, Sendable {
    /// "created", "running" or "exited".
    public var status: String
    public var pid: Int32 = 0
    /// The process that runs the container (kiln itself in the foreground, else its monitor).
    public var monitorPID: Int32 = 0
    public var exitCode: Int32?
    public var startedAt: Date?
    public var finishedAt: Date?
    public var error: String?
    /// The user-space network helper's pid, when there is one.
    public var networkPID: Int32?
    /// With a HEALTHCHECK: "starting", "healthy" or "unhealthy".
    public var health: String?
    /// The kernel's OOM killer killed a process of the container in its last run (known for containers
    /// with resource limits, which have a cgroup of their own).
    public var oomKilled: Bool?

    public init(status: String) {
        self.status = status
    }
}

/// `kiln/containers/` in the store: one folder per container.
public struct ContainerStore: Sendable {
    public let directory: URL

    public init(location: StoreLocation) {
        directory = location.stateDirectory.appendingPathComponent("containers")
    }

    /// The runtime's own state folder (shared with RUN steps).
    public static func runtimeRoot(_ location: StoreLocation) -> String {
        location.runtimeStateDirectory().path
    }

    public func folder(_ id: String) -> URL { directory.appendingPathComponent(id) }
    public func configFile(_ id: String) -> URL { folder(id).appendingPathComponent("config.json") }
    public func stateFile(_ id: String) -> URL { folder(id).appendingPathComponent("state.json") }
    public func logFile(_ id: String) -> URL { folder(id).appendingPathComponent("container.log") }

    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.timeIntervalSince1970)
        }
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            Date(timeIntervalSince1970: try decoder.singleValueContainer().decode(Double.self))
        }
        return decoder
    }()

    /// Every container, newest first.
    public func all() -> [ContainerRecord] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap { try? record($0) }.sorted { $0.created > $1.created }
    }

    public func record(_ id: String) throws -> ContainerRecord {
        try Self.decoder.decode(ContainerRecord.self, from: Data(contentsOf: configFile(id)))
    }

    /// The recorded state; a container whose monitor is gone without recording an exit shows as exited
    /// (see OrphanedContainer).
    public func state(_ id: String) -> ContainerState {
        guard var state = recordedState(id) else { return ContainerState(status: "created") }
        if state.status == "running", state.monitorPID > 0, !OrphanedContainer.isAlive(state.monitorPID) {
            state.status = "exited"
            state.exitCode = state.exitCode ?? 255
        }
        return state
    }

    /// `state.json` as written, nil when there is none (or it cannot be read).
    public func recordedState(_ id: String) -> ContainerState? {
        guard let data = try? Data(contentsOf: stateFile(id)) else { return nil }
        return try? Self.decoder.decode(ContainerState.self, from: data)
    }

    public func write(_ record: ContainerRecord) throws {
        try atomicWrite(Self.encoder.encode(record), to: configFile(record.id))
    }

    public func write(_ state: ContainerState, id: String) throws {
        try atomicWrite(Self.encoder.encode(state), to: stateFile(id))
    }

    public func update(_ id: String, _ change: (inout ContainerState) -> Void) {
        var state = self.state(id)
        change(&state)
        try? write(state, id: id)
    }

    private func atomicWrite(_ data: Data, to url: URL) throws {
        let temp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        try data.write(to: temp)
        guard rename(temp.path, url.path) == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    /// The container `nameOrID` names (a full ID, a name, or a unique ID prefix), or nil.
    public func lookup(_ nameOrID: String) -> ContainerRecord? {
        let all = self.all()
        let name = nameOrID.hasPrefix("/") ? String(nameOrID.dropFirst()) : nameOrID
        if let found = all.first(where: { $0.id == nameOrID }) ?? all.first(where: { $0.name == name }) { return found }
        let matches = nameOrID.isEmpty ? [] : all.filter { $0.id.hasPrefix(nameOrID) }
        return matches.count == 1 ? matches[0] : nil
    }

    /// The container `nameOrID` names: a full ID, a name (with or without Docker's leading "/"),
    /// or a unique ID prefix. Docker's message (ContainerError, status 1) otherwise.
    public func find(_ nameOrID: String) throws -> ContainerRecord {
        let all = self.all()
        let name = nameOrID.hasPrefix("/") ? String(nameOrID.dropFirst()) : nameOrID
        if let found = all.first(where: { $0.id == nameOrID }) ?? all.first(where: { $0.name == name }) { return found }
        let matches = nameOrID.isEmpty ? [] : all.filter { $0.id.hasPrefix(nameOrID) }
        if matches.count > 1 {
            throw ContainerError("multiple IDs found with provided prefix: \(nameOrID)", status: 1)
        }
        guard let found = matches.first else {
            throw ContainerError("No such container: \(nameOrID)", status: 1)
        }
        return found
    }

    /// Creates the folder of a new container under the store's container lock, failing with
    /// Docker's conflict message (ContainerError, status 125) when the name is taken.
    /// Returns the record as stored (with the name finally chosen).
    @discardableResult
    public func create(_ record: ContainerRecord, nameGenerated: Bool = false) throws -> ContainerRecord {
        var record = record
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let lock = open(directory.appendingPathComponent(".lock").path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw CocoaError(.fileWriteUnknown) }
        defer { close(lock) }
        flock(lock, LOCK_EX)
        let taken = Set(all().map(\.name))
        if nameGenerated {
            // Docker retries another random name, then appends digits.
            var attempts = 0
            while taken.contains(record.name) {
                attempts += 1
                record.name = ContainerNames.random() + (attempts > 10 ? String(Int.random(in: 0..<10_000)) : "")
            }
        }
        if taken.contains(record.name), let other = all().first(where: { $0.name == record.name }) {
            throw ContainerError("Conflict. The container name \"/\(record.name)\" is already in use by container \"\(other.id)\". You have to remove (or rename) that container to be able to reuse that name.", status: 125)
        }
        let folder = self.folder(record.id)
        for sub in ["", "upper", "work", "rootfs"] {
            try FileManager.default.createDirectory(at: folder.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        chmod(folder.path, 0o700)
        try write(ContainerState(status: "created"), id: record.id)
        try write(record)
        return record
    }

    /// Deletes the container's folder (its writable layer, log and records). The root filesystem
    /// is unmounted first if a dead monitor left it mounted.
    public func remove(_ id: String) {
        let rootfs = folder(id).appendingPathComponent("rootfs").path
        _ = umount2(rootfs, Int32(MNT_DETACH))
        try? FileManager.default.removeItem(at: folder(id))
    }
}

/// Random names as Docker gives them: adjective_surname.
public enum ContainerNames {
    public static let adjectives = ["admiring", "brave", "clever", "dreamy", "eager", "focused", "gallant", "happy",
                             "jolly", "keen", "loving", "modest", "nifty", "quirky", "relaxed", "sharp",
                             "stoic", "tender", "upbeat", "vibrant", "wizardly", "zealous"]
    public static let surnames = ["archimedes", "babbage", "curie", "darwin", "euclid", "fermi", "galileo", "hopper",
                           "kepler", "lovelace", "meitner", "newton", "noether", "pascal", "ritchie", "shannon",
                           "thompson", "turing", "wozniak", "yonath"]

    public static func random() -> String {
        adjectives.randomElement()! + "_" + surnames.randomElement()!
    }
}

/// 64 random hex digits.
public func newContainerID() -> String {
    (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
}
