import ContainerRuntime
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Small helper programs the builder starts (ssh-agent, ssh-add, cp): ContainerRuntime's
/// `ChildProcess` (default signals and an empty mask, /dev/null as standard descriptors).
enum HelperProcess {
    /// Starts `path`; `environment` entries are added to kiln's own.
    static func start(_ path: String, _ arguments: [String], environment: [String: String] = [:]) throws -> pid_t {
        do {
            return try ChildProcess.spawn(path, arguments, environment: environment).pid
        } catch {
            throw BuildError("start \(path): \(error)")
        }
    }

    /// Runs `path` to completion; its exit status.
    static func run(_ path: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> Int32 {
        let pid = try start(path, arguments, environment: environment)
        return await wait(pid)
    }

    /// Waits for `pid` (on a thread of its own, not a cooperative one): its exit status.
    static func wait(_ pid: pid_t) async -> Int32 {
        await ChildProcess(pid: pid).wait()
    }

    /// The first of `names` found in the usual binary directories.
    static func find(_ name: String) -> String? {
        for dir in ["/usr/bin", "/bin", "/usr/local/bin", "/usr/sbin", "/sbin"] where access(dir + "/" + name, X_OK) == 0 {
            return dir + "/" + name
        }
        return nil
    }
}
