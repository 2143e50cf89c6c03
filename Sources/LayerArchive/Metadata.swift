import CZlib
#if canImport(Glibc)
import Glibc
#endif

/// Setting an applied entry's owner, mode, xattrs and times, in the order that keeps them:
/// owner first (chown clears set-uid bits and file capabilities), then mode, then xattrs,
/// then times.
enum Metadata {
    /// For an entry open as `fd` (regular files, the root directory).
    static func apply(_ header: TarHeader, fd: Int32, options: LayerApplyOptions,
                      report: inout LayerApplyReport, setTimes: Bool = true) throws {
        if options.preserveOwnership {
            let (uid, gid) = try ids(header)
            guard fchown(fd, uid, gid) == 0 else { throw chownError(uid, gid) }
        }
        guard fchmod(fd, mode_t(header.mode & 0o7777)) == 0 else { throw LayerArchiveError.system("chmod") }
        for (name, value) in sortedXattrs(header, &report) {
            let status = value.withUnsafeBytes { fsetxattr(fd, name, $0.baseAddress, $0.count, 0) }
            if status != 0 { try refused(name, header, options, &report) }
        }
        if setTimes {
            var times = timespecs(header.modificationTime)
            guard futimens(fd, &times) == 0 else { throw LayerArchiveError.system("futimens") }
        }
    }

    /// A failed chown; EINVAL in a user namespace means the owner is not mapped there (rootless kiln
    /// without a subordinate id range), which the message says, with the fix.
    static func chownError(_ uid: uid_t, _ gid: gid_t) -> LayerArchiveError {
        let code = errno
        guard code == EINVAL, !OverlayXattrs.inInitialUserNamespace else { return LayerArchiveError.system("chown", code: code) }
        return LayerArchiveError(.io, "cannot give a file owner \(uid):\(gid): that id is not mapped in kiln's rootless user "
            + "namespace (no subordinate id range for this user: only uid and gid 0 exist there, so images with files "
            + "owned by other users cannot be unpacked). Add a range as root: usermod --add-subuids 100000-165535 "
            + "--add-subgids 100000-165535 USER, and install uidmap (newuidmap, newgidmap)")
    }

    /// For entry `name` in directory `dir` (directories, symlinks, device nodes). Directory
    /// times are left to the caller (they are set after the directory's content).
    static func apply(_ header: TarHeader, dir: Int32, name: String, options: LayerApplyOptions,
                      report: inout LayerApplyReport) throws {
        if options.preserveOwnership {
            let (uid, gid) = try ids(header)
            guard fchownat(dir, name, uid, gid, AT_SYMLINK_NOFOLLOW) == 0 else { throw chownError(uid, gid) }
        }
        if header.type != .symlink {
            // The entry was just created by us as a non-symlink, so following is safe here.
            guard fchmodat(dir, name, mode_t(header.mode & 0o7777), 0) == 0 else { throw LayerArchiveError.system("chmod") }
        }
        let path = "/proc/self/fd/\(dir)/\(name)"
        for (key, value) in sortedXattrs(header, &report) {
            let status = value.withUnsafeBytes { lsetxattr(path, key, $0.baseAddress, $0.count, 0) }
            if status != 0 { try refused(key, header, options, &report) }
        }
        if header.type != .directory {
            try setTimes(header.modificationTime, dir: dir, name: name, entry: header.path)
        }
    }

    static func setTimes(_ time: TarTime, dir: Int32, name: String, entry: String) throws {
        var times = timespecs(time)
        guard utimensat(dir, name, &times, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw LayerArchiveError.system("utimensat", entry: entry)
        }
    }

    private static func timespecs(_ time: TarTime) -> [timespec] {
        let spec = timespec(tv_sec: Int(time.seconds), tv_nsec: Int(time.nanoseconds))
        return [spec, spec]
    }

    private static func ids(_ header: TarHeader) throws -> (uid_t, gid_t) {
        guard header.uid < Int(UInt32.max), header.gid < Int(UInt32.max) else {
            throw LayerArchiveError(.unsafeEntry, "uid \(header.uid) or gid \(header.gid) out of range")
        }
        return (uid_t(header.uid), gid_t(header.gid))
    }

    /// The entry's xattrs to set, sorted, without overlay-private ones (reported as warnings).
    private static func sortedXattrs(_ header: TarHeader, _ report: inout LayerApplyReport) -> [(String, [UInt8])] {
        var kept: [(String, [UInt8])] = []
        for (name, value) in header.xattrs.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            if isOverlayPrivate(name) {
                report.warnings.append("dropped overlay-private xattr \(name) on \(header.path)")
            } else {
                kept.append((name, value))
            }
        }
        return kept
    }

    /// `trusted.overlay.*` and `user.overlay.*`: overlayfs's own metadata (opaque, redirect,
    /// origin, metacopy…), which a layer must not plant.
    static func isOverlayPrivate(_ name: String) -> Bool {
        name.hasPrefix("trusted.overlay.") || name.hasPrefix("user.overlay.")
    }

    private static func refused(_ name: String, _ header: TarHeader, _ options: LayerApplyOptions,
                                _ report: inout LayerApplyReport) throws {
        let code = errno
        if options.skipRefusedXattrs && (code == ENOTSUP || code == EPERM || code == EACCES) {
            report.warnings.append("skipped xattr \(name) on \(header.path): \(String(cString: strerror(code)))")
            return
        }
        throw LayerArchiveError.system("setxattr \(name)", code: code)
    }
}
