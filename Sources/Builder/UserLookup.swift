import ConfinedFS
import Foundation

/// Resolves `USER`/`--chown` specs (`name`, `uid`, `name:group`, `uid:gid`) against a root
/// filesystem's /etc/passwd and /etc/group, as BuildKit does.
enum UserLookup {
    struct Resolved: Equatable {
        var uid: UInt32
        var gid: UInt32
        var additionalGids: [UInt32] = []
    }

    /// - Parameter rootfs: the image's root filesystem, nil for an empty image. Its /etc/passwd
    ///   and /etc/group are read through `ConfinedRoot`: symlinks stay inside the image.
    static func resolve(_ spec: String, rootfs: String?, forChown: Bool = false) throws -> Resolved {
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let userPart = parts[0]
        let groupPart = parts.count > 1 ? parts[1] : nil
        let root = rootfs.flatMap { try? ConfinedRoot($0) }
        let passwd = root.map { readEntries($0, "/etc/passwd") } ?? []
        let groups = root.map { readEntries($0, "/etc/group") } ?? []
        var uid: UInt32
        var gid: UInt32 = 0
        var userName: String?
        if userPart.isEmpty {
            uid = 0
        } else if let n = UInt32(userPart) {
            uid = n
            if let entry = passwd.first(where: { $0.count > 3 && $0[2] == userPart }) {
                gid = UInt32(entry[3]) ?? 0
                userName = entry[0]
            } else if forChown {
                gid = n
            }
        } else if let entry = passwd.first(where: { $0.count > 3 && $0[0] == userPart }) {
            uid = UInt32(entry[2]) ?? 0
            gid = UInt32(entry[3]) ?? 0
            userName = entry[0]
        } else {
            throw BuildError("unable to find user \(userPart): no matching entries in passwd file")
        }
        if let groupPart {
            if let n = UInt32(groupPart) {
                gid = n
            } else if let entry = groups.first(where: { $0.count > 2 && $0[0] == groupPart }) {
                gid = UInt32(entry[2]) ?? 0
            } else {
                throw BuildError("unable to find group \(groupPart): no matching entries in group file")
            }
            return Resolved(uid: uid, gid: gid)
        }
        var extra: [UInt32] = []
        if let userName, !forChown {
            for g in groups where g.count > 3 {
                if g[3].split(separator: ",").contains(where: { $0 == userName }), let id = UInt32(g[2]), id != gid {
                    extra.append(id)
                }
            }
        }
        return Resolved(uid: uid, gid: gid, additionalGids: extra)
    }

    /// The colon-separated lines of `path` in the image; none when it is missing or not a
    /// regular file (which is never opened).
    private static func readEntries(_ root: ConfinedRoot, _ path: String) -> [[String]] {
        guard let bytes = try? root.readFile(path, limit: 4 << 20) else { return [] }
        let text = String(decoding: bytes, as: UTF8.self)
        return text.split(separator: "\n").map { $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init) }
    }
}
