import ConfinedFS
#if canImport(Glibc)
import Glibc
#endif

/// Resolves a Dockerfile `USER` value against an image's /etc/passwd and /etc/group, as Docker and
/// BuildKit do (runc's `user.GetExecUser`).
public enum UserResolver {
    /// - "" (no USER) → as "0": root, with root's supplementary groups from /etc/group (the fix for
    ///   CVE-2023-25173 in containerd/moby, which BuildKit follows: frontend/dockerfile
    ///   testUserAdditionalGids); 0:0 without groups when the image has no passwd entry for uid 0.
    /// - "uid:gid", both numeric → used as they are, no lookup.
    /// - "name" or "uid" → the passwd entry's uid and primary gid, plus supplementary groups: every
    ///   /etc/group entry listing the user's name. A numeric uid without an entry is fine (gid 0).
    /// - "user:group" → the group (name or gid) from /etc/group, a numeric gid without an entry
    ///   is fine; no supplementary groups.
    ///
    /// Both files are read confined to `rootfs` (symlinks cannot escape); missing files are empty.
    ///
    /// - Throws: `ContainerRuntimeError` `.user`: "unable to find user NAME: no matching entries in
    ///   passwd file" or "unable to find group NAME: no matching entries in group file".
    public static func resolve(_ user: String, rootfs: String) throws -> UserSpec {
        let user = user.isEmpty ? "0" : user
        let parts = user.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let userArgument = parts[0]
        let groupArgument = parts.count > 1 ? parts[1] : ""
        if parts.count > 1, let uid = try numericID(userArgument), let gid = try numericID(groupArgument) {
            return UserSpec(uid: uid, gid: gid, additionalGids: [])
        }
        let root = try? ConfinedRoot(rootfs)
        let passwd = try imageFile("/etc/passwd", in: root).map(PasswdEntry.parse) ?? []
        var result = UserSpec()
        var matchedName: String?
        if let entry = passwd.first(where: { $0.name == userArgument || (userArgument.allSatisfy(\.isNumber) && String($0.uid) == userArgument) }) {
            result.uid = entry.uid
            result.gid = entry.gid
            matchedName = entry.name
        } else if let uid = try numericID(userArgument) {
            result.uid = uid
        } else {
            throw ContainerRuntimeError(.user, "unable to find user \(userArgument): no matching entries in passwd file")
        }
        guard !groupArgument.isEmpty || matchedName != nil else { return result }
        let groups = try imageFile("/etc/group", in: root).map(GroupEntry.parse) ?? []
        if groupArgument.isEmpty {
            result.additionalGids = groups.filter { $0.members.contains(matchedName!) }.map(\.gid)
        } else if let group = groups.first(where: { $0.name == groupArgument || String($0.gid) == groupArgument }) {
            result.gid = group.gid
        } else if let gid = try numericID(groupArgument) {
            result.gid = gid
        } else {
            throw ContainerRuntimeError(.user, "unable to find group \(groupArgument): no matching entries in group file")
        }
        return result
    }

    /// The text of `path` in the image, read through `ConfinedRoot` (symlinks stay inside the
    /// root); nil when missing or not a regular file (never opened then: a FIFO cannot block).
    private static func imageFile(_ path: String, in root: ConfinedRoot?) throws -> String? {
        guard let root else { return nil }
        do {
            return try root.readFile(path, limit: 4 << 20).map { String(decoding: $0, as: UTF8.self) }
        } catch let error as ConfinedFSError where [EINVAL, ENOTDIR, ELOOP].contains(error.errno) {
            return nil
        } catch {
            throw ContainerRuntimeError(.user, "cannot read \(path) in the image: \(error)")
        }
    }

    /// The value of an all-digit id, nil for a name; ids must fit runc's range.
    private static func numericID(_ text: String) throws -> UInt32? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        guard let value = UInt32(text), value <= UInt32(Int32.max) else {
            throw ContainerRuntimeError(.user, "uids and gids must be in range 0-\(Int32.max)")
        }
        return value
    }
}

/// One line of /etc/passwd: name:password:uid:gid:gecos:home:shell.
struct PasswdEntry {
    var name: String
    var uid: UInt32
    var gid: UInt32

    static func parse(_ text: String) -> [PasswdEntry] {
        records(text).compactMap { fields in
            guard fields.count >= 4, let uid = UInt32(fields[2]), let gid = UInt32(fields[3]) else { return nil }
            return PasswdEntry(name: fields[0], uid: uid, gid: gid)
        }
    }
}

/// One line of /etc/group: name:password:gid:member,member.
struct GroupEntry {
    var name: String
    var gid: UInt32
    var members: [String]

    static func parse(_ text: String) -> [GroupEntry] {
        records(text).compactMap { fields in
            guard fields.count >= 3, let gid = UInt32(fields[2]) else { return nil }
            let members = fields.count > 3 ? fields[3].split(separator: ",").map(String.init) : []
            return GroupEntry(name: fields[0], gid: gid, members: members)
        }
    }
}

/// Colon-separated records, skipping blank lines and comments.
private func records(_ text: String) -> [[String]] {
    text.split(separator: "\n").compactMap { line in
        let trimmed = line.trimmingPrefix(while: { $0 == " " || $0 == "\t" })
        if trimmed.isEmpty || trimmed.hasPrefix("#") { return nil }
        return line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    }
}
