#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A mounted root filesystem for a container: an overlay of read-only layers, optionally with a
/// writable upper directory, mounted at `target` in the caller's mount namespace.
///
/// Mounting needs `CAP_SYS_ADMIN` (root). The mount stays until `unmount()` is called; nothing
/// unmounts it implicitly.
public final class OverlayMount: Sendable {
    /// The directory the filesystem is mounted on.
    public let target: String
    private let mounted = Mutex(true)
    /// Set when overlayfs could not be used: the copied tree standing in for it (``CopiedRootfs``).
    private let copied: CopiedRootfs?
    /// Set when the overlay is fuse-overlayfs's (``FuseOverlay``).
    private let fuse: FuseOverlay?

    private init(target: String, copied: CopiedRootfs? = nil, fuse: FuseOverlay? = nil) {
        self.target = target
        self.copied = copied
        self.fuse = fuse
    }

    /// Whether `target` is a copied tree instead of a mount (overlayfs could not be used).
    public var isCopy: Bool { copied != nil }

    /// Whether `target` is a fuse-overlayfs mount (the kernel refused overlayfs, or `KILN_SNAPSHOTS=fuse`).
    public var isFuse: Bool { fuse != nil }

    /// Mounts `lowerDirs` (ordered BASE FIRST, as layers are applied) with an optional writable
    /// `upperDir` at `target`, which must exist.
    ///
    /// - No lower dir: `upperDir` is bind-mounted (a scratch build), or, without one, an empty tmpfs.
    /// - One lower dir and no upper dir: a read-only bind mount of it.
    /// - Otherwise an overlayfs; `upperDir` needs `workDir` (an empty directory on the same filesystem).
    ///   Where the kernel refuses it, fuse-overlayfs or copied trees stand in (``SnapshotFallback``).
    ///   When the `lowerdir=` option would exceed the kernel's page-sized limit (or a path holds a
    ///   character overlayfs treats specially), each lower dir is passed as a short `/proc/self/fd/N`
    ///   path to a descriptor held open during the mount.
    ///
    /// - `volatile`: an overlay with an upper dir is mounted with overlayfs's `volatile` option (no
    ///   sync of the upper filesystem, so unmounting does not wait for a flush of everything the
    ///   container wrote), when the kernel has it (5.10+; else the option is left out). For upper
    ///   dirs that are thrown away or copied elsewhere after use (a build's RUN step): after a
    ///   crash overlayfs refuses to mount such an upper dir again.
    ///
    /// - Throws: `ContainerRuntimeError` `.invalidUse` for a writable mount without an upper dir, or an
    ///   upper dir without a work dir; `.mount` when the kernel refuses.
    public static func mount(lowerDirs: [String], upperDir: String?, workDir: String?, target: String,
                             readOnly: Bool, volatile: Bool = false) throws -> OverlayMount {
        switch (lowerDirs.count, upperDir) {
        case (0, let upper?):
            try bind(upper, on: target, readOnly: readOnly)
        case (0, nil):
            try system(Glibc.mount("tmpfs", target, "tmpfs", readOnly ? UInt(MS_RDONLY) : 0, "mode=755"),
                       "mount tmpfs", target)
        case (1, nil) where readOnly:
            try bind(lowerDirs[0], on: target, readOnly: true)
        case (_, nil) where !readOnly:
            throw ContainerRuntimeError(.invalidUse, "a writable mount needs an upper directory", path: target)
        default:
            return try overlayTier(lowerDirs: lowerDirs, upperDir: upperDir, workDir: workDir, target: target,
                                   readOnly: readOnly, volatile: volatile)
        }
        return OverlayMount(target: target)
    }

    /// Unmounts the filesystem. Idempotent: a second call, or a call after something else unmounted
    /// it, succeeds. A busy mount is detached lazily (`MNT_DETACH`) and disappears once unused.
    public func unmount() throws {
        try mounted.withLock { isMounted in
            guard isMounted else { return }
            if let copied {
                try copied.finish()
                isMounted = false
                return
            }
            if let fuse {
                isMounted = false
                try fuse.unmount()
                return
            }
            if umount2(target, 0) != 0 {
                let code = errno
                if code == EINVAL || code == ENOENT {
                    // Not a mount point (any more): nothing to do.
                } else if code == EBUSY, umount2(target, Int32(MNT_DETACH)) == 0 {
                    // Detached; the kernel finishes when the last user goes.
                } else {
                    throw ContainerRuntimeError.system(.mount, "unmount", path: target, code: errno)
                }
            }
            isMounted = false
        }
    }

    // MARK: - Mount kinds

    /// An overlay of several layers or with an upper directory, in the tier ``SnapshotFallback``
    /// describes: the kernel's overlayfs, else fuse-overlayfs, else copied trees.
    private static func overlayTier(lowerDirs: [String], upperDir: String?, workDir: String?, target: String,
                                    readOnly: Bool, volatile: Bool) throws -> OverlayMount {
        func copy() throws -> OverlayMount {
            OverlayMount(target: target, copied: try CopiedRootfs.make(lowerDirs: lowerDirs, upperDir: upperDir, target: target))
        }
        func fuse() throws -> OverlayMount {
            OverlayMount(target: target, fuse: try FuseOverlay.mount(lowerDirs: lowerDirs, upperDir: upperDir, workDir: workDir,
                                                                     target: target, readOnly: readOnly, volatile: volatile))
        }
        switch try SnapshotFallback.forcedMode() {
        case .copy?:
            return try copy()
        case .fuse?:
            if let reason = FuseOverlay.unavailableReason() {
                throw ContainerRuntimeError(.mount, "\(SnapshotFallback.variable)=fuse, but \(reason)", path: target)
            }
            return try fuse()
        case .overlay?:
            try overlay(lowerDirs: lowerDirs, upperDir: upperDir, workDir: workDir, target: target, readOnly: readOnly, volatile: volatile)
            return OverlayMount(target: target)
        case nil:
            do {
                try overlay(lowerDirs: lowerDirs, upperDir: upperDir, workDir: workDir, target: target, readOnly: readOnly, volatile: volatile)
                return OverlayMount(target: target)
            } catch let error as ContainerRuntimeError where SnapshotFallback.applies(to: error) {
                if let reason = FuseOverlay.unavailableReason() {
                    SnapshotFallback.noteOnce(SnapshotFallback.note(falling: error, to: .copy, fuseReason: reason))
                    return try copy()
                }
                SnapshotFallback.noteOnce(SnapshotFallback.note(falling: error, to: .fuse))
                return try fuse()
            }
        }
    }

    private static func bind(_ source: String, on target: String, readOnly: Bool) throws {
        try system(Glibc.mount(source, target, nil, UInt(MS_BIND | MS_REC), nil), "bind mount \(source)", target)
        guard readOnly else { return }
        let flags = UInt(MS_BIND | MS_REMOUNT | MS_RDONLY)
        if Glibc.mount(nil, target, nil, flags, nil) != 0 {
            let code = errno
            _ = umount2(target, Int32(MNT_DETACH))
            throw ContainerRuntimeError.system(.mount, "remount read-only", path: target, code: code)
        }
    }

    private static func overlay(lowerDirs: [String], upperDir: String?, workDir: String?, target: String,
                                readOnly: Bool, volatile: Bool = false) throws {
        if upperDir != nil, workDir == nil {
            throw ContainerRuntimeError(.invalidUse, "an overlay upper directory needs a work directory", path: target)
        }
        var held: [Int32] = []
        defer { for fd in held { close(fd) } }
        // overlayfs lists the TOP layer first.
        var lowers = Array(lowerDirs.reversed())
        var options = optionString(lowers: lowers, upper: upperDir, work: workDir)
        if options.utf8.count >= pageLimit || lowers.contains(where: needsEscaping) {
            lowers = try lowers.map { path in
                let fd = open(path, 0o10000000 /* O_PATH */ | O_DIRECTORY | O_CLOEXEC)
                guard fd >= 0 else { throw ContainerRuntimeError.system(.mount, "open lower directory", path: path) }
                held.append(fd)
                return "/proc/self/fd/\(fd)"
            }
            options = optionString(lowers: lowers, upper: upperDir, work: workDir)
            if options.utf8.count >= pageLimit {
                throw ContainerRuntimeError(.mount, "too many layers for one overlay mount (\(lowerDirs.count))",
                                            path: target)
            }
        }
        let flags = readOnly ? UInt(MS_RDONLY) : 0
        if volatile, upperDir != nil, Glibc.mount("overlay", target, "overlay", flags, options + ",volatile") == 0 { return }
        try system(Glibc.mount("overlay", target, "overlay", flags, options), "mount overlay", target)
    }

    private static func optionString(lowers: [String], upper: String?, work: String?) -> String {
        var options = "lowerdir=" + lowers.joined(separator: ":")
        if let upper, let work { options += ",upperdir=\(upper),workdir=\(work)" }
        // In rootless kiln's user namespace overlayfs keeps its metadata in user.overlay.* xattrs.
        if !UserNamespaceMap.current.isInitial { options += ",userxattr" }
        return options
    }

    private static var pageLimit: Int { Int(sysconf(Int32(_SC_PAGESIZE))) }

    private static func needsEscaping(_ path: String) -> Bool {
        path.contains(":") || path.contains(",") || path.contains("\\")
    }

    private static func system(_ result: Int32, _ operation: String, _ target: String) throws {
        if result != 0 { throw ContainerRuntimeError.system(.mount, operation, path: target) }
    }
}
