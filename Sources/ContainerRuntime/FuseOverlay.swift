import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The fuse-overlayfs tier of ``OverlayMount``: an overlay served by a `fuse-overlayfs` daemon, for
/// where the kernel refuses the overlay mount (or `KILN_SNAPSHOTS=fuse`).
///
/// The daemon runs in the foreground (`-f`) as kiln's own child, in a session of its own, with
/// standard input and output on /dev/null and its messages in a log file; no other descriptor
/// reaches it (kiln's are close-on-exec). Without `-f` it would fork a daemon kiln cannot wait for or
/// kill (reparented to init), which outlives a killed build and keeps the mount alive; in kiln's
/// process group a ^Z at the terminal would stop it, and then every access to the mount hangs
/// (seen: a read from the mount of a stopped daemon waits until killed).
/// Mounting waits (at most `timeout`) until the mount appears in /proc/self/mountinfo — never by
/// touching the mount point, which a daemon that has not started serving would block — and fails
/// with the daemon's own message if it exits first. Unmounting detaches the mount (kiln may unmount:
/// host root or uid 0 of its own user namespace), waits at most `timeout` for the daemon to end and
/// kills it otherwise. A ``DeathGuard`` detaches the mount and kills the daemon should kiln die
/// (SIGKILL) before unmounting.
///
/// After unmounting, the upper directory is rewritten into kernel overlayfs's format
/// (``FuseUpperFormat``), so the layer diff, the copying fallback and later mounts read it as any other.
final class FuseOverlay: Sendable {
    static let timeout: Double = 10
    /// FUSE's filesystem type prefix in /proc/self/mountinfo (`fuse.fuse-overlayfs`).
    static let mountType = "fuse.fuse-overlayfs"

    let target: String
    let upperDir: String?
    let lowerDirs: [String]
    private let pid: pid_t
    /// The fuse-overlayfs process serving the mount.
    var daemonPID: pid_t { pid }
    private let log: String
    private let guardian: DeathGuard?

    private init(target: String, upperDir: String?, lowerDirs: [String], pid: pid_t, log: String, guardian: DeathGuard?) {
        self.target = target
        self.upperDir = upperDir
        self.lowerDirs = lowerDirs
        self.pid = pid
        self.log = log
        self.guardian = guardian
    }

    /// Why fuse-overlayfs cannot be used here (no binary, /dev/fuse missing or not open to this
    /// process), or nil when it can.
    static func unavailableReason() -> String? {
        guard OCIRuntime.locate("fuse-overlayfs") != nil else {
            return "fuse-overlayfs is not installed (apt-get install fuse-overlayfs)"
        }
        let fd = open("/dev/fuse", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            return "/dev/fuse cannot be opened (\(reason)); it must exist and be open to the user (mode 0666, as Debian's udev makes it)"
        }
        close(fd)
        return nil
    }

    /// Mounts `lowerDirs` (base first) with an optional `upperDir` (needs `workDir`) at `target`.
    static func mount(lowerDirs: [String], upperDir: String?, workDir: String?, target: String,
                      readOnly: Bool, volatile: Bool) throws -> FuseOverlay {
        guard let program = OCIRuntime.locate("fuse-overlayfs") else {
            throw ContainerRuntimeError(.mount, "fuse-overlayfs is not installed (apt-get install fuse-overlayfs)", path: target)
        }
        let paths = lowerDirs + [upperDir, workDir].compactMap { $0 }
        if let odd = paths.first(where: { $0.contains(":") || $0.contains(",") || $0.contains("\\") }) {
            throw ContainerRuntimeError(.mount, "fuse-overlayfs cannot take a directory whose path holds ':', ',' or '\\'", path: odd)
        }
        if upperDir != nil, workDir == nil {
            throw ContainerRuntimeError(.invalidUse, "an overlay upper directory needs a work directory", path: target)
        }
        // overlayfs lists the TOP layer first.
        var options = "lowerdir=" + lowerDirs.reversed().joined(separator: ":")
        if let upperDir, let workDir { options += ",upperdir=\(upperDir),workdir=\(workDir)" }
        if readOnly { options += ",ro" }
        if volatile, upperDir != nil { options += ",volatile" }

        let log = NSTemporaryDirectory() + "/kiln-fuse-\(UInt64.random(in: 0...UInt64.max)).log"
        let logFD = open(log, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard logFD >= 0 else { throw ContainerRuntimeError.system(.mount, "create the fuse-overlayfs log", path: log) }
        defer { close(logFD) }
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(program, ["-f", "-o", options, target], stdout: logFD, stderr: logFD, newSession: true)
        } catch {
            unlink(log)
            throw ContainerRuntimeError(.mount, "start fuse-overlayfs: \(error)", path: target)
        }
        // Should kiln die before unmounting: detach the mount, then end the daemon.
        let guardian = DeathGuard.start(script: #"""
            "$1" -l "$2" 2>/dev/null; kill -KILL "$3" 2>/dev/null; rm -f "$4"
            """#, arguments: [DeathGuard.umountPath, target, String(child.pid), log])
        let overlay = FuseOverlay(target: target, upperDir: upperDir, lowerDirs: lowerDirs, pid: child.pid, log: log, guardian: guardian)
        do {
            try overlay.waitForMount()
        } catch {
            overlay.stopDaemon()
            _ = umount2(target, Int32(MNT_DETACH))
            overlay.finishGuard()
            throw error
        }
        return overlay
    }

    /// Detaches the mount, waits for the daemon, and rewrites the upper directory in overlayfs's format.
    func unmount() throws {
        defer { finishGuard() }
        var detachedLazily = false
        if umount2(target, 0) != 0 {
            let code = errno
            if code == EBUSY {
                _ = umount2(target, Int32(MNT_DETACH))
                detachedLazily = true
            } else if code != EINVAL && code != ENOENT {
                stopDaemon()
                throw ContainerRuntimeError.system(.mount, "unmount fuse-overlayfs", path: target, code: code)
            }
        }
        if !waitForExit() {
            kill(pid, SIGKILL)
            _ = reap(blocking: true)
            // A clean unmount had no user left: every write has reached the upper directory, and a
            // daemon slow to end (a loaded machine) loses nothing by being killed. A lazily detached
            // mount may still have had one, so that is an error.
            guard !detachedLazily, !Self.isMounted(target) else {
                throw ContainerRuntimeError(.mount, "fuse-overlayfs did not end within \(Int(Self.timeout)) s of the unmount and was killed"
                    + daemonMessage(), path: target)
            }
        }
        if let upperDir { try FuseUpperFormat.normalize(upperDir, lowerDirs: lowerDirs) }
    }

    // MARK: - Daemon

    private func waitForMount() throws {
        let deadline = Date().addingTimeInterval(Self.timeout)
        var pause: useconds_t = 1000
        while true {
            if Self.isMounted(target) { return }
            if let status = reap(blocking: false) {
                throw ContainerRuntimeError(.mount, "fuse-overlayfs exited (status \(status)) without mounting" + daemonMessage(), path: target)
            }
            if Date() > deadline {
                throw ContainerRuntimeError(.mount, "fuse-overlayfs did not mount within \(Int(Self.timeout)) s" + daemonMessage(), path: target)
            }
            usleep(pause)
            pause = min(pause * 2, 20000)
        }
    }

    /// Whether a fuse-overlayfs mount is on `target` in this mount namespace (read from mountinfo,
    /// without touching the mount point).
    static func isMounted(_ target: String) -> Bool {
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return false }
        let escaped = target.replacingOccurrences(of: "\\", with: "\\134").replacingOccurrences(of: " ", with: "\\040")
            .replacingOccurrences(of: "\t", with: "\\011").replacingOccurrences(of: "\n", with: "\\012")
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 4, fields[4] == escaped, let dash = fields.firstIndex(of: "-"), dash + 1 < fields.count else { continue }
            if fields[dash + 1] == mountType { return true }
        }
        return false
    }

    /// The exit status once the daemon has ended (reaped), nil while it runs.
    private func reap(blocking: Bool) -> Int32? {
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, blocking ? 0 : WNOHANG)
            if result == pid { return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f) }
            if result < 0 && errno == EINTR { continue }
            return result < 0 ? -1 : nil  // -1: already reaped
        }
    }

    private func waitForExit() -> Bool {
        let deadline = Date().addingTimeInterval(Self.timeout)
        var pause: useconds_t = 500
        while reap(blocking: false) == nil {
            if Date() > deadline { return false }
            usleep(pause)
            pause = min(pause * 2, 20000)
        }
        return true
    }

    private func stopDaemon() {
        kill(pid, SIGKILL)
        _ = reap(blocking: true)
    }

    private func finishGuard() {
        guardian?.dismiss()
        unlink(log)
    }

    private func daemonMessage() -> String {
        guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return "" }
        let lines = text.split(separator: "\n").filter { !$0.hasPrefix("unknown argument ignored") }
        return lines.isEmpty ? "" : ": " + lines.suffix(5).joined(separator: "; ")
    }
}
