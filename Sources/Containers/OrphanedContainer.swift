import ContainerNetwork
import ContainerRuntime
import Foundation
import ImageStore

/// A container whose supervisor died: the process that runs it (the detached monitor `kiln __monitor`,
/// or a foreground `kiln run`) was SIGKILLed, crashed or was OOM-killed before recording the end.
///
/// kiln behaves as Docker does when a container's shim dies: the container does not run on
/// unsupervised. Two layers see to it:
/// - the supervisor arms a `DeathGuard` that, once the supervisor is gone, runs `kiln __monitor --reap`:
///   the container is killed and deleted from the runtime, its network helper (pasta) ended, its root
///   filesystem unmounted, and its end recorded (exit 137, with a `State.Error` saying why), so `ps -a`
///   shows it exited and a plain `rm` removes it (a `--rm` container is removed);
/// - should the guard itself not have run (it could not start, or was killed too), `state` reports a
///   container whose supervisor is gone as exited, and `rm`/`start` reap it before going on.
public enum OrphanedContainer {
    /// The `State.Error` of a container whose supervisor died.
    static func message(monitorPID: Int32) -> String {
        "the process that ran the container (pid \(monitorPID)) was killed; kiln stopped the container with it"
    }

    /// Arms the guard of container `id`, supervised by this process; nil when it cannot be started.
    static func guardian(location: StoreLocation, id: String) -> DeathGuard? {
        DeathGuard.start(script: #""$1" __monitor --reap --monitor-pid "$2" --root "$3" "$4" >/dev/null 2>&1"#,
                         arguments: [KilnExecutable.path, String(getpid()), location.root.path, id])
    }

    /// Whether process `pid` is alive: it exists and is not a zombie (a SIGKILLed supervisor stays
    /// one until its new parent reaps it).
    public static func isAlive(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        if kill(pid, 0) != 0 && errno == ESRCH { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        let rest = stat[stat.index(after: close)...].drop { $0 == " " }
        return !(rest.hasPrefix("Z") || rest.hasPrefix("X"))
    }

    /// Cleans up after the dead supervisor `monitorPID` of container `id` (see the type). Does nothing
    /// when another, live process supervises the container now (it was started again). Safe to run
    /// more than once, and when the container ended normally (its recorded end is kept).
    public static func reap(location: StoreLocation, id: String, monitorPID: Int32) {
        let containers = ContainerStore(location: location)
        let recorded = containers.recordedState(id)
        if let recorded, recorded.monitorPID != monitorPID, isAlive(recorded.monitorPID) { return }
        if let runtime = try? OCIRuntime.detect() {
            let runner = ContainerRunner(runtime: runtime, stateDirectory: ContainerStore.runtimeRoot(location))
            runner.signal(id, SIGKILL)
            runner.deleteContainer(id)
        }
        let folder = containers.folder(id)
        if let helper = recorded?.networkPID { detachNetwork(helperPID: helper) }
        UserNetwork.cleanUp(stateDirectory: folder.appendingPathComponent("network").path)
        _ = umount2(folder.appendingPathComponent("rootfs").path, Int32(MNT_DETACH))
        guard let recorded, let record = try? containers.record(id) else { return }
        if recorded.status == "running" || recorded.status == "created" {
            containers.update(id) { state in
                state.status = "exited"
                state.exitCode = recorded.status == "running" ? 137 : 125
                state.finishedAt = Date()
                state.error = message(monitorPID: monitorPID)
            }
        }
        if record.autoRemove { containers.remove(id) }
    }

    /// `reap`s container `id` if its recorded supervisor is dead while the record says it runs.
    public static func reapIfOrphaned(location: StoreLocation, id: String) {
        guard let recorded = ContainerStore(location: location).recordedState(id), recorded.status == "running",
              !isAlive(recorded.monitorPID) else { return }
        reap(location: location, id: id, monitorPID: recorded.monitorPID)
    }
}
