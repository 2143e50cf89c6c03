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
    public static func missingMountpoints(_ spec: ContainerSpec) -> [String] {
        var missing: [String] = []
        for target in RuntimeConfig.mountTargets(spec) {
            var path = ""
            for component in target.split(separator: "/") {
                path += "/" + component
                if !missing.contains(path), ConfinedFile.resolve(path, in: spec.rootfs) == nil {
                    missing.append(path)
                }
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
    public static func cleanMountpoints(upperDir: String, lowerDirs: [String], created: [String]) {
        for path in created.sorted(by: { $0.count > $1.count }) {
            let host = upperDir + path
            var info = stat()
            guard lstat(host, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFREG where info.st_size == 0: unlink(host)
            case S_IFDIR: rmdir(host)
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
            removeUnchangedCopyUp(parent, upperDir: upperDir, lowerDirs: lowerDirs)
        }
    }

    private static func removeUnchangedCopyUp(_ path: String, upperDir: String, lowerDirs: [String]) {
        let host = upperDir + path
        var upper = stat()
        guard lstat(host, &upper) == 0, upper.st_mode & S_IFMT == S_IFDIR else { return }
        var value = [UInt8](repeating: 0, count: 8)
        if lgetxattr(host, "trusted.overlay.opaque", &value, value.count) > 0 { return }
        for lower in lowerDirs.reversed() {
            var info = stat()
            guard lstat(lower + path, &info) == 0 else { continue }
            if info.st_mode & S_IFMT == S_IFDIR, info.st_mode == upper.st_mode,
               info.st_uid == upper.st_uid, info.st_gid == upper.st_gid {
                rmdir(host)  // only succeeds when empty
            }
            return
        }
    }
}

@_silgen_name("lgetxattr")
private func lgetxattr(_ path: UnsafePointer<CChar>, _ name: UnsafePointer<CChar>, _ value: UnsafeMutableRawPointer?,
                       _ size: Int) -> Int
