import CConfinedFS
#if canImport(Glibc)
import Glibc
#endif

// Changing existing entries: through descriptors, never by path.
extension ConfinedRoot {
    /// Sets the owner of `path`. With `followFinal` false (the default) a final symlink is
    /// changed itself (like `lchown`).
    public func chown(_ path: String, _ owner: Ownership, followFinal: Bool = false) throws {
        let handle = try open(path, followFinal: followFinal)
        guard fchownat(handle.fd, "", owner.uid, owner.gid, KILN_AT_EMPTY_PATH) == 0 else {
            throw ConfinedFSError("chown", path, errno: errno)
        }
    }

    /// Sets the permission bits of `path` (symlinks followed inside the root; a symlink itself
    /// has no mode of its own on Linux).
    public func chmod(_ path: String, _ mode: mode_t) throws {
        let handle = try open(path)
        guard Glibc.chmod(handle.procPath, mode) == 0 else { throw ConfinedFSError("chmod", path, errno: errno) }
    }

    /// Removes the entry `path` (a file, symlink or empty directory; the last component is
    /// never followed). Throws `ENOENT` when missing, `ENOTEMPTY` for a non-empty directory,
    /// `EINVAL` for the root, `.` or `..`.
    public func remove(_ path: String) throws {
        let (parent, name) = try parentAndName(path, operation: "remove")
        var info = Glibc.stat()
        guard fstatat(parent.fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { throw ConfinedFSError("remove", path, errno: errno) }
        let flags = info.st_mode & S_IFMT == S_IFDIR ? AT_REMOVEDIR : 0
        guard unlinkat(parent.fd, name, flags) == 0 else { throw ConfinedFSError("remove", path, errno: errno) }
    }

    /// Creates the symlink `path` -> `target` (the target is stored as given; it is resolved
    /// inside the root only when followed).
    public func symlink(_ target: String, at path: String) throws {
        let (parent, name) = try parentAndName(path, operation: "symlink")
        guard symlinkat(target, parent.fd, name) == 0 else { throw ConfinedFSError("symlink", path, errno: errno) }
    }
}
