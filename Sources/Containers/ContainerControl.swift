import ContainerRuntime
import Foundation
import ImageStore

/// What `kiln stop`, `kill`, `rm`, `start` and `restart` do to a container of the store, each
/// failure a ContainerError with Docker's message (the CLI prints it and goes on with the next).
public struct ContainerControl: Sendable {
    public let location: StoreLocation
    public let containers: ContainerStore

    public init(location: StoreLocation) {
        self.location = location
        containers = ContainerStore(location: location)
    }

    /// The OCI runtime over the store's runtime state (shared with RUN steps).
    public func runner() throws -> ContainerRunner {
        do {
            return ContainerRunner(runtime: try OCIRuntime.detect(), stateDirectory: ContainerStore.runtimeRoot(location))
        } catch {
            throw ContainerError("\(error)", status: 1)
        }
    }

    /// Stops a running container: its stop signal (or `signal`), then SIGKILL after `timeout`
    /// seconds (default 10).
    public func stop(_ record: ContainerRecord, signal: String?, timeout: Int?) throws {
        let signalName = signal ?? record.stopSignal
        guard let number = Signals.number(signalName) else {
            throw ContainerError("invalid signal: \(signalName)", status: 1)
        }
        if containers.state(record.id).status == "running" {
            let runner = try self.runner()
            runner.signal(record.id, number)
            if !waitForExit(record.id, timeout: TimeInterval(timeout ?? 10)) {
                runner.signal(record.id, SIGKILL)
                _ = waitForExit(record.id, timeout: 30)
            }
        }
    }

    /// Sends `signal` to a running container (and waits for its end after SIGKILL); false when it
    /// is not running.
    public func kill(_ record: ContainerRecord, signal: Int32) throws -> Bool {
        guard containers.state(record.id).status == "running", try runner().signal(record.id, signal) else { return false }
        if signal == SIGKILL { _ = waitForExit(record.id, timeout: 10) }
        return true
    }

    /// Deletes a container and its writable layer; a running one only with `force` (SIGKILL first).
    public func remove(_ record: ContainerRecord, force: Bool) throws {
        // What a dead monitor may have left (a runtime container, its network helper, a mount) goes first.
        OrphanedContainer.reapIfOrphaned(location: location, id: record.id)
        if containers.state(record.id).status == "running" {
            guard force else {
                throw ContainerError("cannot remove container \"/\(record.name)\": container is running: stop the container before removing or force remove", status: 1)
            }
            try runner().signal(record.id, SIGKILL)
            _ = waitForExit(record.id, timeout: 30)
        }
        containers.remove(record.id)
    }

    /// Starts a stopped container again, detached, over the writable layer it kept. The
    /// `-e`/`--env-file` values it was created with were never stored: it gets the image's
    /// environment.
    public func start(_ record: ContainerRecord) throws {
        guard !record.autoRemove || containers.state(record.id).status == "created" else {
            throw ContainerError("container \(record.shortID) was started with --rm and cannot be restarted", status: 1)
        }
        // The previous run's monitor unmounts the root filesystem after recording the exit.
        let previous = containers.state(record.id).monitorPID
        let deadline = Date().addingTimeInterval(30)
        while OrphanedContainer.isAlive(previous), Date() < deadline { usleep(50_000) }
        OrphanedContainer.reapIfOrphaned(location: location, id: record.id)
        let env = ContainerEnvironment.merge(hostname: record.shortID, tty: record.tty, imageEnv: record.imageEnv ?? [], userEnv: [])
        try ContainerMonitor.start(record, env: env, location: location)
    }

    /// Waits until the container's monitor recorded its exit; false after `timeout` seconds.
    public func waitForExit(_ id: String, timeout: TimeInterval) -> Bool {
        let start = Date()
        while Date().timeIntervalSince(start) < timeout {
            if containers.state(id).status != "running" { return true }
            usleep(50_000)
        }
        return containers.state(id).status != "running"
    }
}

/// The container's environment, as Docker's daemon makes it.
public enum ContainerEnvironment {
    /// PATH (default), HOSTNAME, TERM (with a terminal), then the image's and the user's variables,
    /// a later value replacing an earlier one of the same name in its place (Docker's
    /// `ReplaceOrAppendEnvValues`).
    public static func merge(hostname: String, tty: Bool, imageEnv: [String], userEnv: [String]) -> [String] {
        var env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=" + hostname]
        if tty { env.append("TERM=xterm") }
        return replaceOrAppend(replaceOrAppend(env, imageEnv), userEnv)
    }

    /// A container's environment as its running process has it; else the one it starts with,
    /// less the `-e`/`--env-file` values kiln never stores.
    public static func current(_ record: ContainerRecord, _ state: ContainerState) -> [String] {
        if state.status == "running", state.pid > 0, let env = ofProcess(state.pid), !env.isEmpty { return env }
        return merge(hostname: record.shortID, tty: record.tty, imageEnv: record.imageEnv ?? [], userEnv: [])
    }

    /// The environment of process `pid` (`/proc/PID/environ`); nil when it cannot be read.
    public static func ofProcess(_ pid: Int32) -> [String]? {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ")) else { return nil }
        return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    public static func replaceOrAppend(_ base: [String], _ overrides: [String]) -> [String] {
        var result = base
        for entry in overrides {
            let key = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]
            if let i = result.firstIndex(where: { $0.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0] == key }) {
                result[i] = entry
            } else {
                result.append(entry)
            }
        }
        return result
    }
}

/// Signal names and numbers (Linux), as Docker's `signal.ParseSignal` reads them.
public enum Signals {
    public static let table: [String: Int32] = [
        "HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "IOT": 6, "BUS": 7, "FPE": 8, "KILL": 9,
        "USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15, "STKFLT": 16, "CHLD": 17,
        "CONT": 18, "STOP": 19, "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23, "XCPU": 24, "XFSZ": 25,
        "VTALRM": 26, "PROF": 27, "WINCH": 28, "IO": 29, "POLL": 29, "PWR": 30, "SYS": 31,
    ]

    /// `SIGTERM`, `TERM`, `term`, `15` → 15; nil for anything else.
    public static func number(_ text: String) -> Int32? {
        if let value = Int32(text) { return value > 0 && value < 65 ? value : nil }
        var name = text.uppercased()
        if name.hasPrefix("SIG") { name.removeFirst(3) }
        if name.hasPrefix("RTMIN+"), let n = Int32(name.dropFirst(6)) { return 34 + n }
        return table[name]
    }
}

extension ContainerControl {
    /// Runs `args` in running container `record`, as `docker exec`: the container's environment
    /// (read from its first process, never from the store), TERM=xterm with a terminal, then `env`;
    /// `user` and `workdir` default to the container's. Kiln's signals go to the process. Returns
    /// its exit status; ContainerError when the container is not running (1) or the user is
    /// unknown (126).
    public func exec(_ record: ContainerRecord, args: [String], env: [String], user: String?, workdir: String?,
                     tty: Bool, interactive: Bool) throws -> Int32 {
        let runner = try self.runner()
        guard containers.state(record.id).status == "running", let state = runner.state(record.id),
              state.status == "running" else {
            throw ContainerError("container \(record.id) is not running", status: 1)
        }
        let root = "/proc/\(state.pid)/root"
        let processUser: UserSpec
        do {
            processUser = try UserResolver.resolve(user ?? record.user, rootfs: root)
        } catch {
            throw ContainerError("\(error)", status: 126)
        }
        let containerEnv = ContainerEnvironment.ofProcess(state.pid) ?? []
        let processEnv = ContainerEnvironment.replaceOrAppend(ContainerEnvironment.replaceOrAppend(containerEnv, tty ? ["TERM=xterm"] : []), env)
        let process = ExecProcess(args: args, env: processEnv, cwd: workdir ?? (record.workingDir.isEmpty ? "/" : record.workingDir),
                                  user: processUser, terminal: tty)
        var forwarder: SignalForwarder?
        let status = try runner.exec(record.id, process, stdin: interactive ? 0 : nil, stdout: 1, stderr: 2) { pid in
            forwarder = SignalForwarder(to: pid)
        }
        forwarder?.stop()
        return status
    }
}
