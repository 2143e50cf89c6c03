import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One `RUN --mount=type=ssh`: a socket kiln listens on (with the mount's mode, uid and gid)
/// that forwards every connection to the agent given by `--ssh` — the user's agent socket, or an
/// ssh-agent kiln starts holding the given key files. Like BuildKit's forwarding, the container
/// never sees the host's socket itself.
final class SSHForwarding: @unchecked Sendable {
    /// The socket to bind-mount into the container.
    let socketPath: String
    private let upstream: String
    private var listener: Int32
    private var agent: pid_t?
    private let lock = NSLock()
    private var closed = false

    private init(socketPath: String, upstream: String, listener: Int32, agent: pid_t?) {
        self.socketPath = socketPath
        self.upstream = upstream
        self.listener = listener
        self.agent = agent
    }

    /// Starts forwarding for `spec` in `directory` (created, private).
    /// `directory` (a short path: unix socket paths are limited to 107 bytes) is created private
    /// and removed by `stop`.
    static func start(_ spec: SSHSpec, directory: String? = nil, mode: UInt32, uid: UInt32, gid: UInt32) async throws -> SSHForwarding {
        let directory = try directory ?? makeShortDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        chmod(directory, 0o700)
        var upstream = spec.paths[0]
        var agent: pid_t?
        var info = stat()
        let path = directory + "/agent.sock"
        let fd: Int32
        do {
            if !(spec.paths.count == 1 && stat(upstream, &info) == 0 && info.st_mode & S_IFMT == S_IFSOCK) {
                (upstream, agent) = try await startAgent(spec, directory: directory)
            }
            fd = try listen(at: path)
        } catch {
            if let agent { kill(agent, SIGKILL); _ = await HelperProcess.wait(agent) }
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        chmod(path, mode_t(mode))
        chown(path, uid, gid)
        let forwarding = SSHForwarding(socketPath: path, upstream: upstream, listener: fd, agent: agent)
        let thread = Thread { forwarding.acceptLoop() }
        thread.start()
        return forwarding
    }

    private static func makeShortDirectory() throws -> String {
        var template = Array("/tmp/kiln-ssh-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw BuildError("create a directory for the ssh socket: \(String(cString: strerror(errno)))")
        }
        return String(cString: made)
    }

    /// An ssh-agent holding the key files of `spec`.
    private static func startAgent(_ spec: SSHSpec, directory: String) async throws -> (String, pid_t) {
        guard let agentPath = HelperProcess.find("ssh-agent"), let addPath = HelperProcess.find("ssh-add") else {
            throw BuildError("--ssh \(spec.id): key files need ssh-agent and ssh-add (apt-get install openssh-client)")
        }
        for key in spec.paths where access(key, R_OK) != 0 {
            throw BuildError("--ssh \(spec.id): cannot read \(key): \(String(cString: strerror(errno)))")
        }
        let socket = directory + "/upstream.sock"
        let pid = try HelperProcess.start(agentPath, ["-D", "-a", socket])
        var ready = false
        for _ in 0..<400 {
            var info = stat()
            if stat(socket, &info) == 0 { ready = true; break }
            try? await Task.sleep(nanoseconds: 5_000_000)
        }
        guard ready else {
            kill(pid, SIGKILL); _ = await HelperProcess.wait(pid)
            throw BuildError("--ssh \(spec.id): ssh-agent did not start")
        }
        let status = try await HelperProcess.run(addPath, spec.paths, environment: ["SSH_AUTH_SOCK": socket, "SSH_ASKPASS": "/bin/false"])
        guard status == 0 else {
            kill(pid, SIGKILL); _ = await HelperProcess.wait(pid)
            throw BuildError("--ssh \(spec.id): failed to load the keys into an agent (ssh-add exited with \(status); keys with a passphrase are not supported)")
        }
        return (socket, pid)
    }

    private static func listen(at path: String) throws -> Int32 {
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw BuildError("socket: \(String(cString: strerror(errno)))") }
        var address = try unixAddress(path)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, Glibc.listen(fd, 16) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw BuildError("listen on \(path): \(message)")
        }
        return fd
    }

    static func unixAddress(_ path: String) throws -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw BuildError("socket path too long: \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
        return address
    }

    static func connect(to path: String) -> Int32? {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0, var address = try? unixAddress(path) else { return nil }
        let r = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if r != 0 { close(fd); return nil }
        return fd
    }

    private func acceptLoop() {
        while true {
            lock.lock(); let fd = listener; let done = closed; lock.unlock()
            if done { return }
            let client = accept(fd, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            guard let server = Self.connect(to: upstream) else { close(client); continue }
            let thread = Thread { Self.pump(client, server) }
            thread.start()
        }
    }

    /// Copies bytes both ways until either side closes.
    private static func pump(_ a: Int32, _ b: Int32) {
        defer { close(a); close(b) }
        var buffer = [UInt8](repeating: 0, count: 16384)
        var fds = [pollfd(fd: a, events: Int16(POLLIN), revents: 0), pollfd(fd: b, events: Int16(POLLIN), revents: 0)]
        while true {
            let r = poll(&fds, 2, -1)
            if r < 0 { if errno == EINTR { continue }; return }
            for (i, p) in fds.enumerated() where p.revents != 0 {
                let from = i == 0 ? a : b, to = i == 0 ? b : a
                let n = buffer.withUnsafeMutableBytes { read(from, $0.baseAddress, $0.count) }
                if n <= 0 { return }
                var offset = 0
                while offset < n {
                    let w = buffer.withUnsafeBytes { write(to, $0.baseAddress! + offset, n - offset) }
                    if w <= 0 { if errno == EINTR { continue }; return }
                    offset += w
                }
            }
        }
    }

    private func markClosed() -> Int32 {
        lock.lock(); defer { lock.unlock() }
        closed = true
        return listener
    }

    /// Stops listening, removes the socket and stops the agent kiln started.
    func stop() async {
        let fd = markClosed()
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
        unlink(socketPath)
        defer { try? FileManager.default.removeItem(atPath: (socketPath as NSString).deletingLastPathComponent) }
        if let agent {
            kill(agent, SIGKILL)
            _ = await HelperProcess.wait(agent)
            self.agent = nil
        }
    }
}
