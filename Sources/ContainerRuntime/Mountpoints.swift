import ConfinedFS
#if canImport(Glibc)
import Glibc
#endif

/// Keeping the runtime's mountpoints out of a committed layer.
///
/// To mount /proc, /dev, /sys, the /etc files and extra mounts, the runtime creates any missing
/// target (an empty file or directory, and missing parents) in the container's root filesystem —
/// on an overlay, in its upper directory, and creating a file in a directory that existed below
/// copies that directory up. A Docker layer never contains them. A builder therefore:
///
///     let created = ContainerRunner.missingMountpoints(spec)      // before run
///     let status = try await runner.run(spec, …)
///     try mount.unmount()
///     ContainerRunner.cleanMountpoints(upperDir: upper, lowerDirs: lowers, created: created)
///     // then diff `upper` into a layer
extension ContainerRunner {
    /// The container paths (parents first) that do not exist yet in `spec.rootfs` and that the
    /// runtime will create as mount targets. Call before `run`.
    ///
    /// The paths are where the entries will be, resolved inside the rootfs (`ConfinedRoot`): a
    /// target reached through a symlink is listed at its real place, so `cleanMountpoints`
    /// finds it in the upper directory without following anything.
    public static func missingMountpoints(_ spec: ContainerSpec) -> [String] {
        guard let root = try? ConfinedRoot(spec.rootfs) else { return [] }
        var missing: [String] = []
        for target in RuntimeConfig.mountTargets(spec) {
            var path = ""
            var place: [Substring] = []  // where `path` is, resolved
            for component in target.split(separator: "/") where component != "." {
                path += "/" + component
                if let resolved = (try? root.resolve(path)) ?? nil {
                    place = resolved.split(separator: "/")
                    continue
                }
                if component == ".." { _ = place.popLast() } else { place.append(component) }
                let entry = "/" + place.joined(separator: "/")
                if !missing.contains(entry) { missing.append(entry) }
            }
        }
        return missing
    }

    /// Removes from `upperDir` what the runtime created for `created` (from `missingMountpoints`):
    /// each such path that is still an empty file or an empty directory. Then every existing
    /// parent directory of them whose upper copy is empty, not opaque, and has the mode and owner
    /// of its topmost copy in `lowerDirs` (base first) — a copy-up the mountpoint caused, differing
    /// at most in its modification time — is removed too, so the lower directory shows through.
    /// Call after the container exited, best after unmounting the overlay. Never throws: anything
    /// it cannot remove stays.
    ///
    /// The layer directories are raw trees the container wrote: they are read through
    /// `ConfinedRoot` with `.noSymlinks`, so a symlink the step left where a mountpoint's parent
    /// was is never followed (to the host or anywhere else).
    public static func cleanMountpoints(upperDir: String, lowerDirs: [String], created: [String]) {
        guard let upper = try? ConfinedRoot(upperDir, policy: .noSymlinks) else { return }
        let lowers = lowerDirs.compactMap { try? ConfinedRoot($0, policy: .noSymlinks) }
        for path in created.sorted(by: { $0.count > $1.count }) {
            guard let info = (try? upper.lstat(path)) ?? nil else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFREG where info.st_size == 0, S_IFDIR: try? upper.remove(path)
            default: break
            }
        }
        var parents: Set<String> = []
        for path in created {
            var parent = path
            while let slash = parent.lastIndex(of: "/"), slash != parent.startIndex {
                parent = String(parent[..<slash])
                if !created.contains(parent) { parents.insert(parent) }
            }
        }
        for parent in parents.sorted(by: { $0.count > $1.count }) {
            removeUnchangedCopyUp(parent, upper: upper, lowers: lowers)
        }
    }

    private static func removeUnchangedCopyUp(_ path: String, upper: ConfinedRoot, lowers: [ConfinedRoot]) {
        guard let handle = try? upper.open(path, followFinal: false), let copy = try? handle.stat(),
              copy.st_mode & S_IFMT == S_IFDIR else { return }
        for prefix in ["trusted.overlay.", "user.overlay."] {
            if let opaque = try? handle.xattr(prefix + "opaque"), !opaque.isEmpty { return }
        }
        for lower in lowers.reversed() {
            guard let info = (try? lower.lstat(path)) ?? nil else { continue }
            if info.st_mode & S_IFMT == S_IFDIR, info.st_mode == copy.st_mode,
               info.st_uid == copy.st_uid, info.st_gid == copy.st_gid {
                try? upper.remove(path)  // only succeeds when empty
            }
            return
        }
    }
}
