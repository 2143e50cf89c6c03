import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What the runtime reports about a container (`runc state`).
public struct RuntimeState: Sendable, Equatable {
    /// "creating", "created", "running", "paused" or "stopped".
    public var status: String
    /// The container's first process, as seen from the host.
    public var pid: Int32
}

/// A process to start in a running container (`runc exec`).
public struct ExecProcess: Sendable {
    public var args: [String]
    public var env: [String]
    public var cwd: String
    public var user: UserSpec
    public var terminal: Bool

    public init(args: [String], env: [String], cwd: String, user: UserSpec, terminal: Bool) {
        self.args = args
        self.env = env
        self.cwd = cwd
        self.user = user
        self.terminal = terminal
    }
}

/// A container started with `RUNTIME run` in the foreground of a runtime process this process
/// owns: `wait()` gives the container process's exit status once the runtime has deleted it.
public final class StartedContainer: Sendable {
    public let id: String
    /// The runtime process (`runc run`); signals sent to it are forwarded to the container.
    public let runtimePID: Int32
    let runner: ContainerRunner
    let bundle: ContainerBundle
    /// Kills and deletes the container should the process that started it die first (SIGKILL).
    let guardian: DeathGuard?
    /// The container's own cgroup (`ContainerSpec.cgroupsPath`): the runtime keeps it after the process ends
    /// (`run --keep`) until `wait()` has read its OOM count.
    let cgroupsPath: String?
    private let exit = ExitRecord()
    private let oom = Mutex<Bool>(false)

    init(id: String, child: ChildProcess, runner: ContainerRunner, bundle: ContainerBundle, guardian: DeathGuard?,
         cgroupsPath: String? = nil) {
        self.id = id
        self.cgroupsPath = cgroupsPath
        self.runtimePID = child.pid
        self.runner = runner
        self.bundle = bundle
        self.guardian = guardian
        let exit = self.exit
        let thread = Thread {
            let code = child.waitBlocking()
            exit.status.withLock { $0 = code }
            exit.done.signal()
        }
        thread.start()
    }

    /// The exit status once the runtime process has ended, else nil.
    public var exitStatus: Int32? { exit.status.withLock { $0 } }

    /// Polls the runtime until the container's process runs: its host pid, or nil when the
    /// runtime ended first (the process already finished, or could not be started) or after `timeout`.
    /// Closes the config pipe afterwards (the runtime has read it).
    public func waitUntilRunning(timeout: TimeInterval = 60) -> Int32? {
        defer { bundle.releaseConfig() }
        let start = Date()
        while exitStatus == nil, Date().timeIntervalSince(start) < timeout {
            if let state = runner.state(id), state.status == "running" || state.status == "stopped" {
                return state.status == "running" ? state.pid : nil
            }
            usleep(10_000)
        }
        return nil
    }

    /// Blocks until the runtime process ends; its status is the container process's (128 + signal
    /// when a signal killed it). Then deletes what is left of the container and the bundle.
    public func wait() -> Int32 {
        exit.done.wait()
        exit.done.signal()
        if let cgroupsPath, let kills = CgroupPlacement.oomKills(cgroupPath: cgroupsPath), kills > 0 {
            oom.withLock { $0 = true }
        }
        runner.deleteContainer(id)
        bundle.remove()
        guardian?.dismiss()
        return exitStatus ?? 255
    }

    /// After `wait()`: whether the kernel's OOM killer killed a process of the container (known only for a
    /// container with its own cgroup, i.e. with resource limits).
    public var oomKilled: Bool { oom.withLock { $0 } }
}

/// The runtime process's exit status, set once by the thread that reaps it.
final class ExitRecord: Sendable {
    let status = Mutex<Int32?>(nil)
    let done = DispatchSemaphore(value: 0)
}

extension ContainerRunner {
    /// Starts `spec` as container `id` with `RUNTIME run` (in the foreground of a runtime process
    /// that stays this process's child) and returns at once.
    ///
    /// The bundle goes below `bundleParent` and its `config.json` is handed over through a pipe, so
    /// the environment is never written to disk. Standard descriptors: `stdin`/`stdout`/`stderr`
    /// (nil: /dev/null); for a terminal container either `terminal` (a pseudo-terminal slave path:
    /// the runtime starts in a new session with it as controlling terminal and relays it) or, when
    /// nil, the given descriptors themselves are the runtime's terminal side (kiln's own).
    /// `newProcessGroup` keeps terminal signals (^C) away from the runtime, so the caller forwards them.
    ///
    /// The container lives no longer than this process: should it die before `wait()` returns (SIGKILL, a
    /// crash), a `DeathGuard` kills and deletes the container, removes the bundle and lazily unmounts
    /// `unmountOnDeath` (the root filesystem), so a container never runs on unrecorded (issue 14).
    public func start(_ spec: ContainerSpec, id: String, bundleParent: String, stdin: Int32? = nil,
                      stdout: Int32? = nil, stderr: Int32? = nil, terminal: String? = nil,
                      newProcessGroup: Bool = false, unmountOnDeath: [String] = []) throws -> StartedContainer {
        let bundle = try ContainerBundle.create(spec, parent: bundleParent, configThroughPipe: true)
        let guardian = DeathGuard.start(runtime: runtime, stateDirectory: stateDirectory, id: id, bundle: bundle.path,
                                        unmount: unmountOnDeath)
        do {
            let keep = spec.cgroupsPath == nil ? [] : ["--keep"]
            let child = try ChildProcess.spawn(runtime.path, ["--root", stateDirectory, "run"] + keep + ["--bundle", bundle.path, id],
                                               stdin: stdin, stdout: stdout, stderr: stderr, terminal: terminal,
                                               newProcessGroup: newProcessGroup)
            return StartedContainer(id: id, child: child, runner: self, bundle: bundle, guardian: guardian, cgroupsPath: spec.cgroupsPath)
        } catch {
            guardian?.dismiss()
            bundle.remove()
            throw error
        }
    }

    /// `RUNTIME state ID`, or nil when the runtime does not know the container.
    public func state(_ id: String) -> RuntimeState? {
        guard let result = try? ChildProcess.run(runtime.path, ["--root", stateDirectory, "state", id]),
              result.status == 0,
              let start = result.output.firstIndex(of: "{"),
              let object = try? JSONSerialization.jsonObject(with: Data(result.output[start...].utf8)) as? [String: Any],
              let status = object["status"] as? String else { return nil }
        return RuntimeState(status: status, pid: Int32((object["pid"] as? Int) ?? 0))
    }

    /// `RUNTIME kill ID SIGNAL` (a number); false when the container is not running.
    @discardableResult
    public func signal(_ id: String, _ signal: Int32) -> Bool {
        guard let result = try? ChildProcess.run(runtime.path, ["--root", stateDirectory, "kill", id, String(signal)]) else {
            return false
        }
        return result.status == 0
    }

    /// Runs `process` in the running container `id` (`RUNTIME exec --process`, the process
    /// document passed through a pipe, so its environment never reaches a disk) and blocks until
    /// it ends: its exit status (128 + signal). `started` gets the runtime process's pid (signals
    /// sent to it are forwarded). With a terminal, the runtime relays its own standard descriptors.
    public func exec(_ id: String, _ process: ExecProcess, stdin: Int32? = nil, stdout: Int32? = nil,
                     stderr: Int32? = nil, started: (Int32) -> Void = { _ in }) throws -> Int32 {
        let document = RuntimeConfig.process(args: process.args, env: process.env, cwd: process.cwd,
                                             user: process.user, terminal: process.terminal)
        let json = try JSONSerialization.data(withJSONObject: document)
        let fd = try pipeDocument(Array(json))
        defer { close(fd) }
        let child = try ChildProcess.spawn(runtime.path, ["--root", stateDirectory, "exec", "--process",
                                                          "/proc/\(getpid())/fd/\(fd)", id],
                                           stdin: stdin, stdout: stdout, stderr: stderr)
        started(child.pid)
        return child.waitBlocking()
    }

    /// Blocks until process `pid` (a child of this process) ends: its exit status, or 128 + signal.
    public static func waitForExit(_ pid: Int32) -> Int32 {
        ChildProcess(pid: pid).waitBlocking()
    }
}

/// Starting a process that outlives this one: a new session, no controlling terminal, default
/// signal dispositions (a container monitor, like conmon).
public enum DetachedProcess {
    /// Spawns `path` with `arguments` in a new session; returns its pid. Descriptors default to /dev/null.
    public static func spawn(_ path: String, _ arguments: [String], stdin: Int32? = nil, stdout: Int32? = nil,
                             stderr: Int32? = nil) throws -> Int32 {
        try ChildProcess.spawn(path, arguments, stdin: stdin, stdout: stdout, stderr: stderr, newSession: true).pid
    }

    /// A close-on-exec pipe: (read end, write end).
    public static func pipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        guard makePipe(&fds) else { throw ContainerRuntimeError.system("pipe") }
        return (fds[0], fds[1])
    }
}

/// A pseudo-terminal pair for a detached container's terminal: the master descriptor and the slave's path.
public struct TerminalPair: Sendable {
    public let master: Int32
    public let slavePath: String

    public init() throws {
        let terminal = try PseudoTerminal()
        master = terminal.master
        slavePath = terminal.slavePath
    }
}
