import ConfinedFS
#if canImport(Glibc)
import Glibc
#endif

/// The mounts of a RUN step in the chroot isolation (`RUN --mount` binds, caches, secrets, tmpfs and
/// the heredoc script), made by kiln itself since no OCI runtime is involved: each destination is
/// prepared in the step's root filesystem as for the runtime (``MountTargets``: resolved inside the
/// root, symlinks included, a missing one created), then bind-mounted (read-only when asked) or a
/// tmpfs is mounted there, in order. Needs the mount capability the chroot isolation has anyway
/// (root, or kiln's own user namespace).
public enum ChrootMounts {
    /// Mounts `spec.mounts` into `spec.rootfs`; returns the host paths mounted, to pass to `unmount`.
    public static func mount(_ spec: ContainerSpec) throws -> [String] {
        var bare = spec
        bare.etcFiles = .none  // the chroot isolation provides no /etc files: the image's own are used
        let targets = MountTargets.prepare(bare)
        var mounted: [String] = []
        do {
            for entry in spec.mounts {
                guard let inRoot = targets.destinations[entry.target] ?? nil else {
                    throw ContainerRuntimeError(.mount, "--isolation chroot cannot mount on \(entry.target) (below /proc, /dev or /sys, "
                        + "or not a place in the root filesystem)", path: entry.target)
                }
                let place = spec.rootfs + (inRoot == "/" ? "" : inRoot)
                switch entry.kind {
                case .bind:
                    try check(Glibc.mount(entry.source, place, nil, UInt(MS_BIND | MS_REC), nil), "bind mount \(entry.source)", place)
                    mounted.append(place)
                    if entry.readOnly {
                        try check(Glibc.mount(nil, place, nil, UInt(MS_BIND | MS_REMOUNT | MS_RDONLY), nil), "remount read-only", place)
                    }
                case .tmpfs:
                    let options = entry.size.map { "mode=755,size=\($0)" } ?? "mode=755"
                    try check(Glibc.mount("tmpfs", place, "tmpfs", entry.readOnly ? UInt(MS_RDONLY) : 0, options), "mount tmpfs", place)
                    mounted.append(place)
                }
            }
        } catch {
            unmount(mounted)
            throw error
        }
        return mounted
    }

    /// Unmounts what `mount` mounted, last first.
    public static func unmount(_ mounted: [String]) {
        for place in mounted.reversed() { _ = umount2(place, Int32(MNT_DETACH)) }
    }

    private static func check(_ result: Int32, _ operation: String, _ place: String) throws {
        if result != 0 { throw ContainerRuntimeError.system(.mount, operation, path: place) }
    }
}
