import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with posix_spawn: argv[0] is an absolute path, the environment is
/// inherited (plus any `environment` entries given), and only the three standard descriptors given are passed on (every descriptor kiln
/// opens is close-on-exec).
public struct ChildProcess: Sendable {
    public let pid: pid_t

    public init(pid: pid_t) {
        self.pid = pid
    }

    /// Starts `path` with `arguments`; `stdin`/`stdout`/`stderr` default to /dev/null. With
    /// `terminal` (a pseudo-terminal's slave path) the child instead starts a new session whose
    /// controlling terminal and standard descriptors are that terminal.
    public static func spawn(_ path: String, _ arguments: [String], stdin: Int32? = nil, stdout: Int32? = nil,
                             stderr: Int32? = nil, terminal: String? = nil, newSession: Bool = false,
                             newProcessGroup: Bool = false, environment: [String: String] = [:]) throws -> ChildProcess {
        let devNull = open("/dev/null", O_RDWR | O_CLOEXEC)
        guard devNull >= 0 else { throw ContainerRuntimeError.system("open /dev/null") }
        defer { close(devNull) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let terminal {
            // After setsid (done before the file actions), opening a tty makes it the controlling one.
            posix_spawn_file_actions_addclose(&actions, 0)
            posix_spawn_file_actions_addopen(&actions, 0, terminal, O_RDWR, 0)
            posix_spawn_file_actions_adddup2(&actions, 0, 1)
            posix_spawn_file_actions_adddup2(&actions, 0, 2)
        }
        for (fd, target) in [(stdin ?? devNull, Int32(0)), (stdout ?? devNull, 1), (stderr ?? devNull, 2)] where terminal == nil {
            if fd == target {
                // dup2 onto itself would keep close-on-exec; clear it through a detour descriptor.
                posix_spawn_file_actions_adddup2(&actions, fd, 100 + target)
                posix_spawn_file_actions_adddup2(&actions, 100 + target, target)
                posix_spawn_file_actions_addclose(&actions, 100 + target)
            } else {
                posix_spawn_file_actions_adddup2(&actions, fd, target)
            }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The child starts with default signal dispositions and an empty mask.
        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        let setsid: Int32 = terminal == nil && !newSession ? 0 : 0x80  // POSIX_SPAWN_SETSID
        var group: Int32 = 0
        if newProcessGroup, setsid == 0 {
            posix_spawnattr_setpgroup(&attributes, 0)
            group = Int32(POSIX_SPAWN_SETPGROUP)
        }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | setsid | group))

        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var envp: [UnsafeMutablePointer<CChar>?] = []
        if !environment.isEmpty {
            var merged = ProcessInfo.processInfo.environment
            for (key, value) in environment { merged[key] = value }
            envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        }
        defer { for pointer in envp { free(pointer) } }
        var pid: pid_t = 0
        let result = environment.isEmpty ? posix_spawn(&pid, path, &actions, &attributes, argv, environ)
                                         : posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard result == 0 else { throw ContainerRuntimeError.system(.runtime, "start \(path)", code: result) }
        return ChildProcess(pid: pid)
    }

    /// Blocks until the process ends: its exit status, or 128 + the signal that killed it.
    func waitBlocking() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return 255 }
        }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// Waits on a dedicated thread, so the cooperative pool is never blocked.
    public func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: waitBlocking()) }
            thread.start()
        }
    }

    /// Runs `path` to completion; returns its exit status and its combined stdout+stderr.
    static func run(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        var fds: [Int32] = [0, 0]
        guard makePipe(&fds) else { throw ContainerRuntimeError.system("pipe") }
        let child: ChildProcess
        do {
            child = try spawn(path, arguments, stdout: fds[1], stderr: fds[1])
        } catch {
            close(fds[0]); close(fds[1])
            throw error
        }
        close(fds[1])
        let output = (try? readAll(fd: fds[0], path: path)) ?? ""
        close(fds[0])
        return (child.waitBlocking(), output)
    }
}

@_silgen_name("pipe2")
private func c_pipe2(_ fds: UnsafeMutablePointer<Int32>, _ flags: Int32) -> Int32

/// pipe2(2) with O_CLOEXEC, so concurrently spawned children never inherit the ends.
func makePipe(_ fds: inout [Int32]) -> Bool {
    fds.withUnsafeMutableBufferPointer { c_pipe2($0.baseAddress!, O_CLOEXEC) } == 0
}
