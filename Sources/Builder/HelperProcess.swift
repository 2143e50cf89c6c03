import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Small helper programs the builder starts (ssh-agent, ssh-add, cp) through posix_spawn, with
/// /dev/null as stdin and stdout, stderr to a pipe kept for error messages.
enum HelperProcess {
    /// Starts `path`; `environment` entries are added to kiln's own.
    static func start(_ path: String, _ arguments: [String], environment: [String: String] = [:]) throws -> pid_t {
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // Default dispositions and an empty signal mask: the spawning thread (a Swift concurrency
        // worker) blocks signals, and the child would inherit that (then SIGTERM would not stop it).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t(), none = sigset_t()
        sigfillset(&all)
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv + envp { free(p) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard result == 0 else { throw BuildError("start \(path): \(String(cString: strerror(result)))") }
        return pid
    }

    /// Runs `path` to completion; its exit status.
    static func run(_ path: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> Int32 {
        let pid = try start(path, arguments, environment: environment)
        return await wait(pid)
    }

    /// Waits for `pid` without blocking a cooperative thread.
    static func wait(_ pid: pid_t) async -> Int32 {
        while true {
            var status: Int32 = 0
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F) }
            if r < 0 && errno != EINTR { return -1 }
            try? await Task.sleep(nanoseconds: 5_000_000)
        }
    }

    /// The first of `names` found in the usual binary directories.
    static func find(_ name: String) -> String? {
        for dir in ["/usr/bin", "/bin", "/usr/local/bin", "/usr/sbin", "/sbin"] where access(dir + "/" + name, X_OK) == 0 {
            return dir + "/" + name
        }
        return nil
    }
}
