import CConfinedFS
#if canImport(Glibc)
import Glibc
#endif

// Paths longer than PATH_MAX: openat2(2) refuses them (ENAMETOOLONG), yet a layer may hold such
// names (`a/b/…` 5,000 bytes deep). They are resolved in steps, each a short openat2 call from the
// directory descriptor reached so far, with the same meaning as one `.inRoot`/`.noSymlinks` call.
extension ConfinedRoot {
    /// The longest path handed to openat2 in one step (PATH_MAX is 4096 bytes with the NUL).
    static let stepLimit = 3072

    /// Whether `relativePath` is too long for one openat2 call.
    static func needsSteps(_ relativePath: String) -> Bool { relativePath.utf8.count >= 4095 }

    /// `open` for a path too long for one openat2 call.
    ///
    /// Runs of plain names (no `.`/`..`) go to openat2 a group at a time with `RESOLVE_BENEATH |
    /// RESOLVE_NO_SYMLINKS`, from the directory reached so far: such a step can only go down, into real
    /// directories, so whatever it reaches is below the root. A group that meets a symlink (`ELOOP`) is
    /// walked name by name: the symlink's target is read and walked in its place, an absolute one from
    /// the root again (under `.inRoot`; `.noSymlinks` fails with `ELOOP`), at most `maxSymlinks` of them.
    /// `..` is never handed to the kernel: the walk keeps the names of the real directories from the
    /// root to where it is, drops the last one and opens the rest again from the root (so `..` stops at
    /// the root under `.inRoot`, and fails with `EXDEV` above it under `.noSymlinks`, as openat2 does).
    func openInSteps(_ path: String, flags: Int32, mode: mode_t, followFinal: Bool) throws -> ConfinedFD {
        var pending = Array(Self.components(path).reversed())  // names still to walk, next one last
        var reached: [String] = []  // real directories from the root to `current`
        var current: ConfinedFD?  // nil: the root
        var links = 0
        func fail(_ code: Int32) -> ConfinedFSError { ConfinedFSError("open", path, errno: code) }
        let down = UInt64(KILN_RESOLVE_BENEATH | KILN_RESOLVE_NO_SYMLINKS | KILN_RESOLVE_NO_MAGICLINKS)
        let directoryFlags = UInt64(UInt32(bitPattern: KILN_O_PATH | KILN_O_DIRECTORY | O_CLOEXEC))

        /// Walks `target` in place of the symlink just met.
        func follow(_ target: String) throws {
            guard policy == .inRoot else { throw fail(ELOOP) }
            links += 1
            guard links <= Self.maxSymlinks else { throw fail(ELOOP) }
            if target.isEmpty { throw fail(ENOENT) }
            if target.hasPrefix("/") {
                reached = []
                current = nil
            }
            pending += Self.components(target).reversed()
        }

        while let name = pending.last {
            let here = current?.fd ?? fd
            if name == "." {
                pending.removeLast()
                if pending.isEmpty { return try current.map { try reopen(directory: $0, flags: flags) } ?? open(".", flags: flags) }
                continue
            }
            if name == ".." {
                pending.removeLast()
                if reached.isEmpty {
                    guard policy == .inRoot else { throw fail(EXDEV) }
                } else {
                    reached.removeLast()
                    current = try descend(reached, path: path)
                }
                if pending.isEmpty { return try current.map { try reopen(directory: $0, flags: flags) } ?? open(".", flags: flags) }
                continue
            }
            if pending.count > 1 {
                // A group of plain names, the final one excluded.
                var group: [String] = []
                var length = 0
                while pending.count > 1, let next = pending.last, next != ".", next != "..",
                      group.isEmpty || length + 1 + next.utf8.count <= Self.stepLimit {
                    group.append(pending.removeLast())
                    length += next.utf8.count + 1
                }
                let opened = kiln_openat2(here, group.joined(separator: "/"), directoryFlags, 0, down)
                if opened >= 0 {
                    current = ConfinedFD(fd: opened)
                    reached += group
                    continue
                }
                guard errno == ELOOP || errno == ENOTDIR || errno == ENOENT else { throw fail(errno) }
                pending += group.reversed()  // walk it name by name: which one is a symlink?
                var info = Glibc.stat()
                guard fstatat(here, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { throw fail(errno) }
                switch info.st_mode & S_IFMT {
                case S_IFDIR:
                    let next = kiln_openat2(here, name, directoryFlags, 0, down)
                    guard next >= 0 else { throw fail(errno) }
                    pending.removeLast()
                    current = ConfinedFD(fd: next)
                    reached.append(name)
                case S_IFLNK:
                    pending.removeLast()
                    try follow(Self.readlink(here, name, path: path))
                default:
                    throw fail(ENOTDIR)
                }
                continue
            }
            // The final name.
            pending.removeLast()
            let all = UInt64(UInt32(bitPattern: flags | O_CLOEXEC | (followFinal ? 0 : KILN_O_NOFOLLOW)))
            let opened = kiln_openat2(here, name, all, UInt64(mode), down)
            if opened >= 0 { return ConfinedFD(fd: opened) }
            let code = errno
            var info = Glibc.stat()
            guard followFinal, code == ELOOP, fstatat(here, name, &info, AT_SYMLINK_NOFOLLOW) == 0,
                  info.st_mode & S_IFMT == S_IFLNK else { throw fail(code) }
            try follow(Self.readlink(here, name, path: path))
            if pending.isEmpty {
                // A symlink to the root itself (`/`, or `..` chains that end there).
                return try current.map { try reopen(directory: $0, flags: flags) } ?? open(".", flags: flags)
            }
        }
        return try current.map { try reopen(directory: $0, flags: flags) } ?? open(".", flags: flags)

    }

    /// The real directory `names` (no symlinks, no `..`) below the root, opened in groups; nil for the root.
    private func descend(_ names: [String], path: String) throws -> ConfinedFD? {
        var current: ConfinedFD?
        var rest = names[...]
        let down = UInt64(KILN_RESOLVE_BENEATH | KILN_RESOLVE_NO_SYMLINKS | KILN_RESOLVE_NO_MAGICLINKS)
        while !rest.isEmpty {
            var group: [String] = []
            var length = 0
            while let next = rest.first, group.isEmpty || length + 1 + next.utf8.count <= Self.stepLimit {
                group.append(next)
                length += next.utf8.count + 1
                rest = rest.dropFirst()
            }
            let opened = kiln_openat2(current?.fd ?? fd, group.joined(separator: "/"),
                                      UInt64(UInt32(bitPattern: KILN_O_PATH | KILN_O_DIRECTORY | O_CLOEXEC)), 0, down)
            guard opened >= 0 else { throw ConfinedFSError("open", path, errno: errno) }
            current = ConfinedFD(fd: opened)
        }
        return current
    }

    /// The directory `handle` names, opened again with `flags`.
    private func reopen(directory handle: ConfinedFD, flags: Int32) throws -> ConfinedFD {
        let opened = kiln_openat2(handle.fd, ".", UInt64(UInt32(bitPattern: flags | O_CLOEXEC)), 0,
                                  UInt64(KILN_RESOLVE_BENEATH | KILN_RESOLVE_NO_MAGICLINKS))
        guard opened >= 0 else { throw ConfinedFSError("open", hostPath, errno: errno) }
        return ConfinedFD(fd: opened)
    }
}
