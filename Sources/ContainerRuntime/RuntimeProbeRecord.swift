import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Remembers, until the next boot, that a runtime binary passed `RuntimeProbe`, so each kiln
/// process does not start a trivial container (150–300 ms) before its first real one.
///
/// The record is one line per runtime in a file of the user's runtime directory (/run/kiln for
/// root, $XDG_RUNTIME_DIR/kiln otherwise: both are emptied at boot). A line names the binary by
/// device, inode, size and modification time, and the boot, user and user namespace it passed
/// in: an upgraded runc, a reboot or another namespace probes again. Only successes are kept,
/// so a runtime that failed is tried afresh next time. Any error reading or writing the record
/// just means probing again.
enum RuntimeProbeRecord {
    static func passed(_ path: String) -> Bool {
        guard let file = file(), let key = key(path),
              let text = try? String(contentsOfFile: file, encoding: .utf8) else { return false }
        return text.split(separator: "\n").contains { $0 == key }
    }

    static func record(_ path: String) {
        guard let file = file(), let key = key(path) else { return }
        let kept = ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "")
            .split(separator: "\n").suffix(15).map(String.init)
        let temporary = file + ".\(getpid()).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data((kept + [key]).joined(separator: "\n").utf8),
                                             attributes: [.posixPermissions: 0o600]) else { return }
        if rename(temporary, file) != 0 { unlink(temporary) }
    }

    /// The record's path, its directory created private; nil when there is no runtime directory.
    static func file() -> String? {
        let base: String
        if geteuid() == 0 {
            base = "/run/kiln"
        } else if let runtime = ProcessInfo.processInfo.environment["XDG_RUNTIME_DIR"], !runtime.isEmpty {
            base = runtime + "/kiln"
        } else {
            return nil
        }
        if mkdir(base, 0o700) != 0 && errno != EEXIST { return nil }
        var info = stat()
        guard lstat(base, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == geteuid(),
              info.st_mode & 0o022 == 0 else { return nil }
        return base + "/runtime-probe"
    }

    static func key(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0,
              let boot = try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8) else { return nil }
        let userNamespace = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/user")) ?? "?"
        return ["boot=" + boot.trimmingCharacters(in: .whitespacesAndNewlines), "uid=\(geteuid())", "userns=" + userNamespace,
                "file=\(info.st_dev):\(info.st_ino):\(info.st_size):\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)", "path=" + path]
            .joined(separator: " ")
    }
}
