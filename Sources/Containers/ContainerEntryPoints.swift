import Foundation
import ImageStore

// The bodies of kiln's two hidden commands, which are kiln started again by kiln itself: the CLI
// only parses their arguments and exits with what these return.

extension ContainerMonitor {
    /// `kiln __monitor ID`: runs detached container `id` until it ends. Reads the container's
    /// environment (a JSON array) from stdin, answers `ok` or `error STATUS MESSAGE` on stdout once
    /// the container runs, then closes both. Returns the container's exit status.
    public static func serve(location: StoreLocation, id: String) throws -> Int32 {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        let null = open("/dev/null", O_RDWR)
        dup2(null, 0)
        let env = (try? JSONDecoder().decode([String].self, from: Data(bytes))) ?? []
        bytes = []
        let containers = ContainerStore(location: location)
        let record = try containers.record(id)
        let session = ContainerSession(location: location, record: record, env: env, foreground: false)
        var reported = false
        let status = session.run { failure, status in
            guard !reported else { return }
            reported = true
            let answer = failure.map { "error \(status) \($0)" } ?? "ok"
            writeAll(1, Array((answer + "\n").utf8))
            dup2(null, 1)
        }
        if !reported {
            writeAll(1, Array("ok\n".utf8))
            dup2(null, 1)
        }
        return status
    }
}

/// `kiln __network-hook ID`: the OCI createRuntime hook of a `private` network container.
public enum NetworkHook {
    /// Reads the runtime state (`runtimeState`, the hook's stdin), attaches the network to its pid
    /// and records the helper's pid in the container's state. A failure's message is also left
    /// where the container's session reports it (runc would wrap it in its hook error); the
    /// ContainerError holds the line the hook prints.
    public static func attach(location: StoreLocation, id: String, runtimeState: Data) throws {
        guard let object = try? JSONSerialization.jsonObject(with: runtimeState) as? [String: Any],
              let pid = object["pid"] as? Int, pid > 0 else {
            throw ContainerError("kiln __network-hook: no container pid in the runtime state", status: 1)
        }
        let containers = ContainerStore(location: location)
        let record = try containers.record(id)
        let helper: Int32?
        do {
            helper = try attachNetwork(pid: Int32(pid), network: record.network, ports: record.ports,
                                       stateDirectory: containers.folder(id).path)
        } catch {
            let message = "cannot set up the container's network: \(error)"
            try? Data(message.utf8).write(to: containers.folder(id).appendingPathComponent("network-error"))
            throw ContainerError(message, status: 1)
        }
        if let helper { containers.update(id) { $0.networkPID = helper } }
    }
}
