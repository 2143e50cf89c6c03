import ConfinedFS
#if canImport(Glibc)
import Glibc
#endif

/// Mount destinations and the working directory, made in the container's root filesystem by
/// kiln itself through `ConfinedRoot` (never by joining the rootfs path with a string), before
/// the runtime starts.
///
/// Each target is resolved as if the rootfs were `/` — a symlink an earlier step or the base
/// image planted (to `/..`, `../../..`, a host path, /proc/self/root) stays inside — and a
/// missing one is created as the runtime would create it: a directory (mode 0755) for a
/// directory or tmpfs mount and for the working directory, an empty file (mode 0755) for a file
/// bind, owned by root. The runtime then gets the resolved path, which has no symlinks, so it
/// names the very same entry. Targets that are, or resolve to, places below /proc, /dev and
/// /sys live on filesystems the runtime mounts itself (where /proc/self/root is live) and are
/// left to it, as is any target kiln cannot prepare (a component that is
/// a file, a symlink loop): the runtime confines those too (runc's securejoin) and reports them.
struct MountTargets {
    /// Original destination -> resolved destination inside the rootfs.
    var destinations: [String: String] = [:]
    /// The resolved working directory.
    var cwd: String

    static func prepare(_ spec: ContainerSpec) -> MountTargets {
        var result = MountTargets(cwd: spec.cwd)
        guard let root = try? ConfinedRoot(spec.rootfs) else { return result }
        for file in RuntimeConfig.etcMounts(spec.etcFiles) {
            result.destinations[file.target] = prepared(file.target, directory: false, root: root)
        }
        for mount in spec.mounts {
            let directory = mount.kind == .tmpfs || isDirectory(mount.source)
            result.destinations[mount.target] = prepared(mount.target, directory: directory, root: root)
        }
        if !runtimeManaged(spec.cwd), let place = try? root.locate(spec.cwd), !runtimeManaged(place),
           let handle = try? root.mkdirAll(place), let path = try? root.pathInRoot(of: handle) {
            result.cwd = path
        }
        return result
    }

    /// The destination to hand the runtime for `target`.
    func destination(_ target: String) -> String { destinations[target] ?? target }

    private static func prepared(_ target: String, directory: Bool, root: ConfinedRoot) -> String? {
        guard !runtimeManaged(target), let place = try? root.locate(target), !runtimeManaged(place) else { return nil }
        return try? root.mountpoint(place, directory: directory)
    }

    /// Below /proc, /dev or /sys (lexically): on the runtime's own mounts.
    static func runtimeManaged(_ target: String) -> Bool {
        var parts: [Substring] = []
        for part in target.split(separator: "/") where part != "." {
            if part == ".." { _ = parts.popLast() } else { parts.append(part) }
        }
        guard let first = parts.first else { return false }
        return first == "proc" || first == "dev" || first == "sys"
    }

    /// Whether the host path `source` (kiln's own: a cache directory, a resolved bind source, a
    /// secret file) is a directory.
    private static func isDirectory(_ source: String) -> Bool {
        var info = Glibc.stat()
        return stat(source, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }
}
