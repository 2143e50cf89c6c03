import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Runs containers with one OCI runtime, keeping the runtime's state below `stateDirectory`
/// (passed as `--root`, so kiln's containers never mix with another tool's).
public struct ContainerRunner: Sendable {
    public let runtime: OCIRuntime
    public let stateDirectory: String

    public init(runtime: OCIRuntime, stateDirectory: String) {
        self.runtime = runtime
        self.stateDirectory = stateDirectory
    }

    /// Runs `spec` as container `id` and returns the process's exit status (128 + signal number
    /// when a signal killed it).
    ///
    /// Writes an OCI bundle to a temporary directory, runs `RUNTIME --root STATE run --bundle B ID`
    /// with stdout and stderr on pipes of their own, merged into `output` in whole lines as they
    /// arrive (``OutputLines``, on a background thread; a terminal container's one stream as it
    /// comes), and `stdin` (default /dev/null) as input. The
    /// container and the bundle are always deleted afterwards. When the calling task is cancelled
    /// the container is SIGKILLed, deleted, and `CancellationError` is thrown.
    ///
    /// - Throws: `ContainerRuntimeError` when the bundle cannot be written or the runtime not
    ///   started; a failure of the runtime itself to create the container shows as its own exit
    ///   status with its message in `output`.
    /// `bundleParent` holds the bundle (default: $TMPDIR), e.g. a tmpfs when the spec's environment
    /// carries secrets that must not reach a disk, or a private scratch folder cleaned with the store.
    ///
    /// Should this process die while the container runs (SIGKILL), a `DeathGuard` kills and deletes the
    /// container, removes the bundle and lazily unmounts `unmountOnDeath` (e.g. the root filesystem).
    public func run(_ spec: ContainerSpec, id: String, stdin: Int32? = nil, bundleParent: String? = nil,
                    unmountOnDeath: [String] = [],
                    output: @escaping @Sendable ([UInt8]) -> Void) async throws -> Int32 {
        try Task.checkCancellation()
        let bundle = try ContainerBundle.create(spec, parent: bundleParent)
        defer { bundle.remove() }
        let guardian = DeathGuard.start(runtime: runtime, stateDirectory: stateDirectory, id: id, bundle: bundle.path,
                                        unmount: unmountOnDeath)
        defer { guardian?.dismiss() }
        let launched = try launch(bundle: bundle, id: id, stdin: stdin, terminal: spec.terminal)
        let exited = ExitFlag()
        let drained = startReader(fds: [launched.outputFD] + (launched.errorFD.map { [$0] } ?? []), output: output)
        let status = await withTaskCancellationHandler {
            let status = await launched.child.wait()
            exited.set()
            return status
        } onCancel: {
            startKiller(id: id, child: launched.child, exited: exited)
        }
        await drained.value
        deleteContainer(id)
        if Task.isCancelled { throw CancellationError() }
        return status
    }

    /// `run` for callers without a task (the runtime probe): blocks, collects the output as text.
    func runBlocking(_ spec: ContainerSpec, id: String, bundleParent: String?) throws -> (status: Int32, output: String) {
        let bundle = try ContainerBundle.create(spec, parent: bundleParent)
        defer { bundle.remove() }
        let launched = try launch(bundle: bundle, id: id, stdin: nil, terminal: spec.terminal, separateStderr: false)
        let text = (try? readAll(fd: launched.outputFD, path: runtime.path)) ?? ""
        close(launched.outputFD)
        let status = launched.child.waitBlocking()
        deleteContainer(id)
        return (status, text)
    }

    // MARK: - Runtime invocations

    /// Starts the runtime; its stdout and stderr go to one pipe (`outputFD`), or with
    /// `separateStderr` stderr to a second one (`errorFD`).
    private func launch(bundle: ContainerBundle, id: String, stdin: Int32?, terminal: Bool, separateStderr: Bool = true) throws
        -> (child: ChildProcess, outputFD: Int32, errorFD: Int32?) {
        if terminal {
            let (child, fd) = try launchWithTerminal(bundle: bundle, id: id, stdin: stdin)
            return (child, fd, nil)
        }
        var fds: [Int32] = [0, 0], errors: [Int32] = [-1, -1]
        guard makePipe(&fds) else { throw ContainerRuntimeError.system("pipe") }
        defer { close(fds[1]) }
        if separateStderr, !makePipe(&errors) {
            close(fds[0])
            throw ContainerRuntimeError.system("pipe")
        }
        defer { if errors[1] >= 0 { close(errors[1]) } }
        do {
            let child = try ChildProcess.spawn(runtime.path, ["--root", stateDirectory, "run", "--bundle", bundle.path, id],
                                               stdin: stdin, stdout: fds[1], stderr: separateStderr ? errors[1] : fds[1])
            return (child, fds[0], separateStderr ? errors[0] : nil)
        } catch {
            close(fds[0])
            if errors[0] >= 0 { close(errors[0]) }
            throw error
        }
    }

    /// runc relays a terminal container through its own controlling terminal: give it a fresh
    /// pseudo-terminal in a new session, read the output from the master side, and copy `stdin`
    /// (if any) into it on a background thread.
    private func launchWithTerminal(bundle: ContainerBundle, id: String, stdin: Int32?) throws
        -> (child: ChildProcess, outputFD: Int32) {
        let terminal = try PseudoTerminal()
        let master = terminal.master
        do {
            let child = try ChildProcess.spawn(runtime.path, ["--root", stateDirectory, "run", "--bundle", bundle.path, id],
                                               terminal: terminal.slavePath)
            if let stdin { copyInput(from: stdin, to: master) }
            return (child, master)
        } catch {
            close(master)
            throw error
        }
    }

    /// Copies `source` into `destination` until end of file or an error, on a dedicated thread.
    private func copyInput(from source: Int32, to destination: Int32) {
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                if count <= 0 { break }
                if buffer.withUnsafeBytes({ write(destination, $0.baseAddress, count) }) < 0 { break }
            }
        }
        thread.start()
    }

    /// `RUNTIME delete --force ID`; succeeds silently when the container is already gone. runc and
    /// crun keep a container's state in `STATE/ID`; without it (a `run` that ended normally removes
    /// its own) there is nothing to delete and no runtime process is started.
    public func deleteContainer(_ id: String) {
        guard access(stateDirectory + "/" + id, F_OK) == 0 else { return }
        _ = try? ChildProcess.run(runtime.path, ["--root", stateDirectory, "delete", "--force", id])
    }

    /// Reads the output (stdout, and stderr when apart) on a dedicated thread until each ends, in
    /// whole lines (``OutputLines``), then closes `fds`.
    private func startReader(fds: [Int32], output: @escaping @Sendable ([UInt8]) -> Void) -> Task<Void, Never> {
        Task.detached {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let thread = Thread {
                    OutputLines.read(fds, output: output)
                    continuation.resume()
                }
                thread.start()
            }
        }
    }

    /// Kills the container with SIGKILL (`RUNTIME kill ID KILL`, repeated until the runtime process
    /// ends, since the container may not exist yet); after five seconds the runtime process itself.
    private func startKiller(id: String, child: ChildProcess, exited: ExitFlag) {
        let runner = self
        let thread = Thread {
            let start = Date()
            while !exited.isSet {
                _ = try? ChildProcess.run(runner.runtime.path, ["--root", runner.stateDirectory, "kill", id, "KILL"])
                if Date().timeIntervalSince(start) > 5 {
                    exited.unlessSet { kill(child.pid, SIGKILL) }
                }
                usleep(100_000)
            }
        }
        thread.start()
    }
}

/// Whether the runtime process has been reaped (after which its pid must not be signalled).
private final class ExitFlag: Sendable {
    private let state = Mutex(false)
    var isSet: Bool { state.withLock { $0 } }
    func set() { state.withLock { $0 = true } }
    /// Runs `body` while holding the flag unset, so `set()` cannot happen meanwhile.
    func unlessSet(_ body: () -> Void) { state.withLock { if !$0 { body() } } }
}
