import ConfinedFS
import Foundation
import XCTest

/// A temporary root filesystem with the four escape symlinks the issue names, and a canary
/// directory on the host that nothing may touch.
struct HostileTree {
    let root: String
    let canary: String

    /// The planted escape links, by name: to `/..`, to `../../../../..`, to the canary (an
    /// absolute host path) and to /proc/self/root.
    static let escapes = ["up": "/..", "dots": "../../../../..", "host": "", "self": "/proc/self/root"]

    init() throws {
        let id = UUID().uuidString
        root = "/tmp/kiln-confined-root-\(id)"
        canary = "/tmp/kiln-confined-canary-\(id)"
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: canary + "/sub", withIntermediateDirectories: true)
        try Data("host secret\n".utf8).write(to: URL(fileURLWithPath: canary + "/secret"))
        try Data("root:x:0:0::/root:/bin/sh\nhost:x:4242:4343::/:/bin/sh\n".utf8).write(to: URL(fileURLWithPath: canary + "/passwd"))
        try Data("image\n".utf8).write(to: URL(fileURLWithPath: root + "/etc/motd"))
        for (name, target) in Self.escapes {
            try fm.createSymbolicLink(atPath: root + "/" + name, withDestinationPath: target.isEmpty ? canary : target)
        }
    }

    /// What the escape link `name` leads to, as a path inside the root.
    func resolved(_ name: String) -> String {
        switch name {
        case "host": return canary
        case "self": return "/proc/self/root"
        default: return ""  // the root itself
        }
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: root)
        try? FileManager.default.removeItem(atPath: canary)
    }

    /// Every entry below the canary with its kind, size, mode, owner, mtime and content.
    func canarySnapshot() -> [String] { Self.snapshot(canary) }

    static func snapshot(_ dir: String) -> [String] {
        var lines: [String] = []
        func walk(_ path: String) {
            var info = stat()
            guard lstat(path, &info) == 0 else { lines.append("\(path) missing"); return }
            var line = "\(path) \(info.st_mode) \(info.st_uid):\(info.st_gid) \(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec) \(info.st_ctim.tv_sec).\(info.st_ctim.tv_nsec)"
            if info.st_mode & S_IFMT == S_IFREG { line += " " + ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "?") }
            lines.append(line)
            if info.st_mode & S_IFMT == S_IFDIR {
                for child in ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() { walk(path + "/" + child) }
            }
        }
        walk(dir)
        return lines
    }
}
