import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Kills a container when the process that runs it dies without cleaning up (SIGKILL, a crash).
///
/// `RUNTIME run` in the foreground outlives its parent, and so does the container: the runtime never learns
/// that nobody waits for it any more. The guard is a small shell in a session of its own that blocks reading
/// a pipe whose only writer is this process (close-on-exec, so no child inherits it). When this process
/// ends, however it ends, the read returns end of file and the shell kills and deletes the container,
/// removes its bundle and lazily unmounts the given paths (the container's root filesystem), so neither a
/// process nor a mount nor the bundle's command line and environment outlive a killed build step.
/// `dismiss()` ends the guard without any of that once the caller has cleaned up itself.
///
/// `start(script:arguments:)` guards anything else the same way (a build's pasta process).
public final class DeathGuard: Sendable {
    private let pid: pid_t
    private let writeEnd: Int32

    static let script = #"""
        runtime=$1 state=$2 id=$3 bundle=$4 umount=$5
        shift 5
        "$runtime" --root "$state" kill "$id" KILL 2>/dev/null
        "$runtime" --root "$state" delete --force "$id" 2>/dev/null
        rm -rf -- "$bundle"
        for target in "$@"; do "$umount" -l "$target" 2>/dev/null; done
        """#

    private init(pid: pid_t, writeEnd: Int32) {
        self.pid = pid
        self.writeEnd = writeEnd
    }

    /// Starts the guard of container `id`; nil when /bin/sh cannot be started (the step then runs unguarded).
    static func start(runtime: OCIRuntime, stateDirectory: String, id: String, bundle: String, unmount: [String]) -> DeathGuard? {
        start(script: script, arguments: [runtime.path, stateDirectory, id, bundle, umountPath] + unmount)
    }

    /// umount(8), for scripts.
    public static var umountPath: String { OCIRuntime.locate("umount") ?? "/bin/umount" }

    /// Runs `script` (sh, with `arguments` as $1…) once this process is gone; nil when /bin/sh cannot be started.
    public static func start(script: String, arguments: [String]) -> DeathGuard? {
        var fds: [Int32] = [0, 0]
        guard makePipe(&fds) else { return nil }
        defer { close(fds[0]) }
        do {
            let child = try ChildProcess.spawn("/bin/sh", ["-c", "read _ignored\n" + script, "kiln-guard"] + arguments,
                                               stdin: fds[0], newSession: true)
            return DeathGuard(pid: child.pid, writeEnd: fds[1])
        } catch {
            close(fds[1])
            return nil
        }
    }

    /// Ends the guard (SIGKILL, reaped) without letting it run its script.
    public func dismiss() {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        close(writeEnd)
    }
}
