import ContainerRuntime
import Foundation
import ImageStore

/// Detached containers: `kiln run -d`, `kiln start` and `kiln restart` hand a container to a
/// monitor process (`kiln __monitor`) that runs it until it ends.
public enum ContainerMonitor {
    /// Starts `kiln __monitor` in its own session; hands it the environment through a pipe, and
    /// waits until it reports the container running (or failed). A container that kiln could not
    /// start (status 125: its root filesystem or network failed) is removed when `removeOnFailure`.
    /// Failures are ContainerErrors with the status `kiln run -d` exits with.
    public static func start(_ record: ContainerRecord, env: [String], location: StoreLocation, removeOnFailure: Bool = false) throws {
        let plan = try DetachedProcess.pipe(), report = try DetachedProcess.pipe()
        let executable = KilnExecutable.path
        let log = open(ContainerStore(location: location).folder(record.id).appendingPathComponent("monitor.log").path,
                       O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        defer { if log >= 0 { close(log) } }
        let monitor: Int32
        do {
            monitor = try DetachedProcess.spawn(executable, ["__monitor", "--root", location.root.path, record.id],
                                          stdin: plan.read, stdout: report.write, stderr: log >= 0 ? log : nil)
        } catch {
            close(plan.read); close(plan.write); close(report.read); close(report.write)
            throw ContainerError("cannot start the container monitor: \(error)", status: 125)
        }
        close(plan.read)
        close(report.write)
        let data = try JSONEncoder().encode(env)
        writeAll(plan.write, Array(data))
        close(plan.write)
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(report.read, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        close(report.read)
        let answer = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if answer.hasPrefix("error ") {
            let parts = answer.dropFirst(6).split(separator: " ", maxSplits: 1).map(String.init)
            let status = Int32(parts[0]) ?? 125
            if removeOnFailure, status == 125 {
                var ended: Int32 = 0
                while waitpid(monitor, &ended, 0) == -1 && errno == EINTR {}
                ContainerStore(location: location).remove(record.id)
            }
            throw ContainerError(parts.count > 1 ? parts[1] : answer, status: status)
        }
        if answer != "ok" {
            throw ContainerError("the container monitor ended without reporting (see \(ContainerStore(location: location).folder(record.id).path)/monitor.log)", status: 125)
        }
    }
}
