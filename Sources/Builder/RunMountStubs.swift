import ConfinedFS
import ContainerRuntime
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The mount points a RUN's `--mount` targets needed (secret files, cache/tmpfs/bind/ssh targets
/// and the missing directories above them): current BuildKit removes each again after the step
/// while it is still an empty file or an empty directory, deepest first, restoring the parent's
/// timestamps, so no placeholder reaches the layer (executor/stubs.go `MountStubsCleaner`:
/// files since moby/buildkit#1739, empty directories recursively since #3307/#3314, v0.11;
/// timestamps #3149). Docker 20.10 kept these targets in the layer.
/// The runtime's own /etc/hosts, /etc/resolv.conf and /etc/hostname stubs are handled by
/// `removeStubs` (files only), so a missing /etc they needed is left alone here.
enum RunMountStubs {
    /// Container paths that do not exist in `rootfs` before the run, for `targets`.
    static func missing(_ targets: [String], rootfs: String) -> [String] {
        guard let root = try? ConfinedRoot(rootfs) else { return [] }
        var missing: [String] = []
        for target in targets {
            var path = ""
            for component in target.split(separator: "/") where component != "." {
                path += "/" + component
                if path == "/etc" { continue }  // the runtime's /etc files may need it (see above)
                if !missing.contains(path), (try? root.resolve(path)) ?? nil == nil {
                    missing.append(path)
                }
            }
        }
        return missing
    }

    /// Removes each of `paths` from `upperDir` that is still an empty regular file or an empty
    /// directory, deepest first; the parent directory keeps its times.
    static func remove(_ paths: [String], upperDir: String) {
        // The upper directory is the tree the step wrote: read without following any symlink, so a
        // link the step left where a stub's parent was can never lead the removal out of it.
        guard let upper = try? ConfinedRoot(upperDir, policy: .noSymlinks) else { return }
        for path in paths.sorted(by: { $0.split(separator: "/").count > $1.split(separator: "/").count }) {
            let parentPath = String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)])
            guard let info = (try? upper.lstat(path)) ?? nil,
                  let parent = try? upper.open(parentPath.isEmpty ? "/" : parentPath, followFinal: false),
                  let parentInfo = try? parent.stat(), parentInfo.st_mode & S_IFMT == S_IFDIR else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFREG where info.st_size == 0, S_IFDIR:
                guard (try? upper.remove(path)) != nil else { continue }  // a directory must be empty
                var times = [parentInfo.st_atim, parentInfo.st_mtim]
                _ = utimensat(AT_FDCWD, parent.procPath, &times, 0)
            default: continue
            }
        }
    }
}
