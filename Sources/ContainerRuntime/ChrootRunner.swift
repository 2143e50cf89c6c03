import CUserNamespace
import Foundation

/// `--isolation chroot`: runs a process in a chroot of a prepared root filesystem, with no new
/// namespace and no OCI runtime — for kiln inside an unprivileged container, whose own isolation is
/// the sandbox. The process gets the spec's environment, working directory (created when missing)
/// and user (uid, gid, supplementary groups: changing them needs root or the matching
/// capabilities, else the start fails loudly). No /proc, /dev or /etc files are set up: the step sees
/// the root filesystem as it is, and shares kiln's own network, hostname and process table.
public enum ChrootRunner {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Runs `args` and returns its exit status (128 + the signal that ended it); stdout and stderr
    /// (merged, in order) go to `output` as they come.
    public static func run(rootfs: String, args: [String], env: [String], cwd: String, user: UserSpec,
                           output: @escaping @Sendable ([UInt8]) -> Void) async throws -> Int32 {
        guard !args.isEmpty else { throw Failure(description: "no command to run") }
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                do {
                    continuation.resume(returning: try runBlocking(rootfs: rootfs, args: args, env: env, cwd: cwd,
                                                                   user: user, output: output))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    static func runBlocking(rootfs: String, args: [String], env: [String], cwd: String, user: UserSpec,
                            output: ([UInt8]) -> Void) throws -> Int32 {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw Failure(description: "pipe: \(String(cString: strerror(errno)))") }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }  // the child's dup2 onto 1 and 2 clears it there
        let argv = args.map { strdup($0) } + [nil]
        let envp = env.map { strdup($0) } + [nil]
        defer {
            for pointer in argv + envp { free(pointer) }
        }
        let groups = user.additionalGids.map { gid_t($0) }
        let pid = groups.withUnsafeBufferPointer { groupBuffer in
            kiln_chroot_spawn(rootfs, cwd.isEmpty ? "/" : cwd, uid_t(user.uid), gid_t(user.gid), Int32(groups.count),
                              groupBuffer.baseAddress, argv, envp, fds[1], fds[1])
        }
        let spawnError = errno
        close(fds[1])
        guard pid > 0 else {
            close(fds[0])
            throw Failure(description: "fork: \(String(cString: strerror(spawnError)))")
        }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            if n > 0 { output(Array(buffer[0..<n])); continue }
            if n < 0 && errno == EINTR { continue }
            break
        }
        close(fds[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { throw Failure(description: "waitpid: \(String(cString: strerror(errno)))") }
        }
        let low = status & 0x7f
        if low == 0 { return (status >> 8) & 0xff }
        return 128 + low
    }
}
