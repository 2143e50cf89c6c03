#if canImport(Glibc)
import Glibc
#endif

/// Starting the network helper and finding, checking and ending it again by its PID.
enum HelperProcess {
    /// Runs `path` with `arguments`, stdin from /dev/null and stdout+stderr appended to `outputFile`, in a new
    /// session and with no descriptor but those three; waits up to `timeout` seconds for it to exit (pasta
    /// forks itself into the background once it is ready) and returns its exit status.
    static func runUntilDaemonized(_ path: String, _ arguments: [String], outputFile: String, timeout: Double = 20) throws -> Int32 {
        let output = open(outputFile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw ContainerNetworkError.system("create \(outputFile)", errno: errno) }
        defer { close(output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, output, 2)
        // The daemon must not keep any descriptor of its caller (a test harness's pipe would never see EOF).
        closeFrom(3, &actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        // A new session: the terminal's ^C for `kiln run` must not reach the helper.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | 0x80 /* POSIX_SPAWN_SETSID */))
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        guard spawned == 0 else { throw ContainerNetworkError.system("start \(path)", errno: spawned) }

        var status: Int32 = 0
        var waited = 0.0
        var pause = Backoff()
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { break }
            if result < 0 && errno != EINTR { throw ContainerNetworkError.system("wait for \(path)", errno: errno) }
            if waited >= timeout {
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                throw ContainerNetworkError.helperFailed("\(path) did not get ready within \(Int(timeout)) seconds")
            }
            waited += pause.next()
        }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// glibc's posix_spawn_file_actions_addclosefrom_np (2.34+), which Swift's Glibc module does not export.
    private static func closeFrom(_ lowest: Int32, _ actions: inout posix_spawn_file_actions_t) {
        typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return }
        _ = unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, lowest)
    }

    /// The command line of process `pid`, or nil when there is no such process.
    static func commandLine(of pid: Int32) -> [String]? {
        guard let data = readFile("/proc/\(pid)/cmdline"), !data.isEmpty else { return nil }
        return data.split(separator: 0, omittingEmptySubsequences: false).dropLast().map { String(decoding: $0, as: UTF8.self) }
    }

    /// Whether `pid` is a running (not a zombie) process.
    static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = readFile("/proc/\(pid)/stat") else { return false }
        // "PID (comm) S ...": the state follows the last ')'.
        guard let close = stat.lastIndex(of: UInt8(ascii: ")")), close + 2 < stat.count else { return false }
        let state = stat[close + 2]
        return state != UInt8(ascii: "Z") && state != UInt8(ascii: "X")
    }

    /// Sends SIGTERM, waits up to `grace` seconds for the process to end, then sends SIGKILL.
    static func terminate(_ pid: Int32, grace: Double = 3) {
        guard pid > 0, kill(pid, SIGTERM) == 0 else { return }
        if waitForExit(pid, timeout: grace) { return }
        kill(pid, SIGKILL)
        _ = waitForExit(pid, timeout: 5)
    }

    /// Whether `pid` ended (or became a zombie) within `timeout` seconds.
    static func waitForExit(_ pid: Int32, timeout: Double) -> Bool {
        var waited = 0.0
        var pause = Backoff()
        while isRunning(pid) {
            if waited >= timeout { return false }
            waited += pause.next()
        }
        return true
    }

    /// Sleeps between polls: 0.5 ms at first (pasta is ready, or gone after SIGTERM, within a few
    /// milliseconds), doubling up to 10 ms; `next()` sleeps and returns the seconds slept.
    struct Backoff {
        private var microseconds: UInt32 = 500

        mutating func next() -> Double {
            let slept = microseconds
            usleep(slept)
            microseconds = min(microseconds * 2, 10_000)
            return Double(slept) / 1_000_000
        }
    }

    static func readFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += buffer[0..<count]
        }
        return bytes
    }
}
