import ContainerNetwork
import ContainerRuntime
import Dispatch
import Foundation
import ImageStore
import Synchronization

/// Runs one container from start to end, in the foreground of `kiln run` or in the detached
/// monitor (`kiln __monitor`): mounts its root filesystem (the image's shared snapshots under the
/// container's own upper directory), starts it with the OCI runtime, writes its output to the
/// log, records its pid, exit code and times, and cleans up (`--rm` removes the container).
///
/// `env` (with the `-e`/`--env-file` values) is only ever held in memory here and passed to the
/// runtime through a pipe.
public struct ContainerSession {
    public let location: StoreLocation
    public let record: ContainerRecord
    public let env: [String]
    /// In the foreground the output also goes to kiln's stdout/stderr (and stdin comes from kiln's).
    public let foreground: Bool

    public init(location: StoreLocation, record: ContainerRecord, env: [String], foreground: Bool) {
        self.location = location
        self.record = record
        self.env = env
        self.foreground = foreground
    }

    public var containers: ContainerStore { ContainerStore(location: location) }

    /// Runs the container; `ready` is called once it runs (or failed to start, with the message).
    /// Returns the exit status: the process's, 125 when kiln could not run it, 126/127 when the
    /// command could not be invoked / found (as Docker).
    public func run(ready: (_ failure: String?, _ status: Int32) -> Void) -> Int32 {
        let folder = containers.folder(record.id)
        let rootfs = folder.appendingPathComponent("rootfs").path
        let mount: OverlayMount
        do {
            // A --rm container's files are thrown away at its end: volatile spares its unmount a sync of the
            // whole filesystem (every dirty page on the disk, the container's and anyone else's).
            mount = try OverlayMount.mount(lowerDirs: record.lowerDirs, upperDir: folder.appendingPathComponent("upper").path,
                                           workDir: folder.appendingPathComponent("work").path, target: rootfs, readOnly: false,
                                           volatile: record.autoRemove)
        } catch {
            return fail("failed to mount the container's root filesystem: \(error)", 125, ready: ready)
        }
        defer { try? mount.unmount() }
        // This process supervises the container from now on; should it die, its guard kills the
        // container and records its end (OrphanedContainer).
        containers.update(record.id) { $0.monitorPID = getpid() }
        let supervisor = OrphanedContainer.guardian(location: location, id: record.id)
        defer { supervisor?.dismiss() }
        var spec: ContainerSpec
        do {
            spec = try makeSpec(rootfs: rootfs)
        } catch {
            return fail("\(error)", 126, ready: ready)
        }
        do {
            spec.resources = record.resources ?? .none
            spec.cgroupsPath = try CgroupPlacement.path(for: record.id, limits: spec.resources)
        } catch {
            return fail("\(error)", 125, ready: ready)
        }
        unlink(networkFailureFile)
        if networkNeedsHook {
            // The network is attached between the namespaces' creation and the process's start.
            spec.createRuntimeHooks = [[KilnExecutable.path, "__network-hook", "--root", location.root.path, record.id]]
        }
        let runner: ContainerRunner
        do {
            runner = ContainerRunner(runtime: try OCIRuntime.detect(), stateDirectory: ContainerStore.runtimeRoot(location))
        } catch {
            return fail("\(error)", 125, ready: ready)
        }
        // Should kiln die first, its death guard unmounts the root filesystem and the network namespace
        // file (pasta then ends by itself).
        let unmountOnDeath = [rootfs, folder.appendingPathComponent("network/netns").path]
        let log = ContainerLog(path: containers.logFile(record.id).path)
        let errors = ErrorCapture()
        var pumps: [Thread] = []
        var closeAfterStart: [Int32] = []
        var keepUntilExit: [Int32] = []
        let started: StartedContainer
        do {
            let hasTerminal = isatty(0) == 1 || isatty(1) == 1 || isatty(2) == 1
            if record.tty && foreground && hasTerminal {
                // The runtime relays kiln's own terminal (raw mode, window size) itself.
                started = try runner.start(spec, id: record.id, bundleParent: folder.path,
                                           stdin: record.interactive ? 0 : nil, stdout: 1, stderr: 2, unmountOnDeath: unmountOnDeath)
            } else if record.tty {
                // No terminal to relay (detached, or kiln's output redirected): a pseudo-terminal
                // of kiln's own, whose output goes to the log (and kiln's stdout).
                let terminal = try TerminalPair()
                pumps.append(pump(terminal.master, to: foreground ? 1 : nil, log: log, stream: "stdout", errors: nil))
                started = try runner.start(spec, id: record.id, bundleParent: folder.path, terminal: terminal.slavePath,
                                           unmountOnDeath: unmountOnDeath)
            } else {
                let out = try DetachedProcess.pipe(), err = try DetachedProcess.pipe()
                var stdin: Int32? = nil
                if record.interactive {
                    let input = try DetachedProcess.pipe()
                    stdin = input.read
                    closeAfterStart.append(input.read)
                    if foreground { copyInput(to: input.write) } else { keepUntilExit.append(input.write) }
                }
                pumps.append(pump(out.read, to: foreground ? 1 : nil, log: log, stream: "stdout", errors: nil))
                pumps.append(pump(err.read, to: foreground ? 2 : nil, log: log, stream: "stderr", errors: errors))
                closeAfterStart += [out.write, err.write]
                started = try runner.start(spec, id: record.id, bundleParent: folder.path, stdin: stdin,
                                           stdout: out.write, stderr: err.write, newProcessGroup: foreground,
                                           unmountOnDeath: unmountOnDeath)
            }
        } catch {
            return fail("failed to start the container: \(error)", 125, ready: ready)
        }
        for fd in closeAfterStart { close(fd) }
        let signals = foreground ? SignalForwarder(to: started.runtimePID) : nil
        let pid = started.waitUntilRunning()
        containers.update(record.id) { state in
            state.status = "running"
            state.pid = pid ?? 0
            state.monitorPID = getpid()
            state.startedAt = Date()
            state.oomKilled = nil
        }
        var health: HealthChecker?
        if pid != nil, let settings = record.healthcheck {
            health = HealthChecker(settings: settings, runner: runner, containers: containers, record: record, env: env)
            health?.start(user: spec.user)
        }
        if pid != nil { ready(nil, 0) }
        var status = started.wait()
        health?.stop()
        waitForPumps(pumps.count)
        signals?.stop()
        for fd in keepUntilExit { close(fd) }
        detachNetwork(helperPID: containers.state(record.id).networkPID)
        var failure: String?
        if pid == nil, let message = networkFailure {
            // The network hook's own one-line message, not runc's report of the hook's exit.
            failure = message
            status = 125
        } else if pid == nil, status != 0, let message = errors.runtimeMessage {
            failure = message
            status = message.contains("executable file not found") || message.contains("no such file or directory") ? 127 : 126
        }
        if pid == nil { ready(failure, status) }
        let oomKilled = started.oomKilled
        containers.update(record.id) { state in
            state.status = "exited"
            state.exitCode = status
            state.finishedAt = Date()
            state.error = failure
            state.oomKilled = oomKilled ? true : nil
        }
        try? mount.unmount()
        if record.autoRemove { containers.remove(record.id) }
        return status
    }

    /// Where `kiln __network-hook` leaves its error message when it cannot attach the network.
    public var networkFailureFile: String { containers.folder(record.id).appendingPathComponent("network-error").path }

    private var networkFailure: String? {
        guard let data = FileManager.default.contents(atPath: networkFailureFile), !data.isEmpty else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The OCI process and root filesystem settings of the container.
    private func makeSpec(rootfs: String) throws -> ContainerSpec {
        let user = try UserResolver.resolve(record.user, rootfs: rootfs)
        let network: NetworkMode = record.network == "host" ? .host : .none
        var mounts: [BindMount] = []
        for bind in record.binds {
            let parts = bind.split(separator: ":").map(String.init)
            mounts.append(BindMount(source: parts[0], target: parts[1], readOnly: parts.count > 2 && parts[2] == "ro"))
        }
        let hostname = record.shortID
        var spec = ContainerSpec(rootfs: rootfs, args: record.command, env: env, cwd: record.workingDir.isEmpty ? "/" : record.workingDir,
                                 user: user, hostname: hostname, network: network, mounts: mounts, readOnlyRootfs: record.readOnly,
                                 terminal: record.tty, etcFiles: etcFiles(hostname: hostname, network: network))
        spec.security = try record.securityOptions()
        return spec
    }

    /// Docker's /etc files; a `private` network names pasta's DNS forwarder.
    private func etcFiles(hostname: String, network: NetworkMode) -> EtcFiles {
        var files = EtcFiles.standard(hostname: hostname, network: network, extraHosts: ContainerHosts.lines(record.extraHosts ?? []))
        if record.network == "private",
           let host = try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8),
           let resolv = UserNetwork.resolvConf(hostResolvConf: host) {
            files.resolvConf = resolv
        }
        return files
    }

    private func fail(_ message: String, _ status: Int32, ready: (String?, Int32) -> Void) -> Int32 {
        ready(message, status)
        containers.update(record.id) { state in
            state.status = "exited"
            state.exitCode = status
            state.finishedAt = Date()
            state.error = message
        }
        if record.autoRemove { containers.remove(record.id) }
        return status
    }

    private let pumpsDone = DispatchSemaphore(value: 0)

    private func waitForPumps(_ count: Int) {
        for _ in 0..<count { pumpsDone.wait() }
    }

    /// Copies `fd` to the log (and to `echo` in the foreground) until end of file, on a thread.
    private func pump(_ fd: Int32, to echo: Int32?, log: ContainerLog, stream: String, errors: ErrorCapture?) -> Thread {
        let done = pumpsDone
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                if count <= 0 { break }
                let chunk = Array(buffer[0..<count])
                if let errors {
                    errors.add(chunk)
                    // The runtime's own failure report ("runc run failed: …") is kiln's to print, not the container's output.
                    if ErrorCapture.isRuntimeReport(chunk) { continue }
                }
                if let echo { writeAll(echo, chunk) }
                log.append(chunk, stream: stream)
            }
            log.flush(stream: stream)
            close(fd)
            done.signal()
        }
        thread.start()
        return thread
    }

    /// Copies kiln's stdin into `fd` until end of file, then closes `fd` (the container sees EOF).
    private func copyInput(to fd: Int32) {
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                if count <= 0 { break }
                if !writeAll(fd, Array(buffer[0..<count])) { break }
            }
            close(fd)
        }
        thread.start()
    }
}

@discardableResult
public func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    var rest = bytes[...]
    while !rest.isEmpty {
        let count = rest.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if count < 0, errno == EINTR { continue }
        if count <= 0 { return false }
        rest = rest.dropFirst(count)
    }
    return true
}

/// The first few kilobytes of the container's stderr, where the runtime reports a process it
/// could not start ("exec: \"x\": executable file not found in $PATH").
final class ErrorCapture: Sendable {
    private let bytes = Mutex<[UInt8]>([])

    func add(_ chunk: [UInt8]) {
        bytes.withLock { if $0.count < 8192 { $0 += chunk.prefix(8192 - $0.count) } }
    }

    static func isRuntimeReport(_ chunk: [UInt8]) -> Bool {
        let text = String(decoding: chunk, as: UTF8.self)
        return text.contains("level=error msg=\"runc run failed: ") || text.hasPrefix("runc run failed: ")
    }

    /// The runtime's error message, if the stderr holds one.
    var runtimeMessage: String? {
        let text = String(decoding: bytes.withLock { $0 }, as: UTF8.self)
        for line in text.split(separator: "\n") {
            if let range = line.range(of: "runc run failed: ") ?? line.range(of: "runc create failed: ") {
                var message = String(line[range.lowerBound...])
                if message.hasSuffix("\"") { message.removeLast() }
                return message.replacingOccurrences(of: "\\\"", with: "\"")
            }
        }
        return nil
    }
}

/// The container's output in Docker's json-file format: one `{"log":…,"stream":…,"time":…}` per line.
final class ContainerLog: Sendable {
    private let fd: Int32
    private let partial = Mutex<[String: [UInt8]]>([:])

    init(path: String) {
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
    }

    deinit { if fd >= 0 { close(fd) } }

    func append(_ chunk: [UInt8], stream: String) {
        let lines: [[UInt8]] = partial.withLock { partial in
            var pending = (partial[stream] ?? []) + chunk
            var lines: [[UInt8]] = []
            while let newline = pending.firstIndex(of: 10) {
                lines.append(Array(pending[...newline]))
                pending.removeSubrange(...newline)
            }
            partial[stream] = pending
            return lines
        }
        for line in lines { write(line, stream: stream) }
    }

    func flush(stream: String) {
        let rest = partial.withLock { partial in
            defer { partial[stream] = [] }
            return partial[stream] ?? []
        }
        if !rest.isEmpty { write(rest, stream: stream) }
    }

    private func write(_ line: [UInt8], stream: String) {
        guard fd >= 0 else { return }
        struct Entry: Encodable { var log: String; var stream: String; var time: String }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let entry = Entry(log: String(decoding: line, as: UTF8.self), stream: stream, time: formatter.string(from: Date()))
        guard var data = try? JSONEncoder().encode(entry) else { return }
        data.append(10)
        writeAll(fd, Array(data))
    }
}

/// Forwards the signals a user sends kiln (SIGINT, SIGTERM, …) to a process: the runtime, which
/// forwards them to the container's process.
public final class SignalForwarder: @unchecked Sendable {
    static let forwarded: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2]
    private var sources: [DispatchSourceSignal] = []

    public init(to pid: Int32) {
        for sig in Self.forwarded {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { kill(pid, sig) }
            source.resume()
            sources.append(source)
        }
    }

    public func stop() {
        for source in sources { source.cancel() }
        for sig in Self.forwarded { signal(sig, SIG_DFL) }
    }
}
