import ContainerRuntime
import Foundation

/// `--isolation chroot` (``BuildOptions/chrootIsolation``): a RUN step's process runs in a chroot of
/// the step's overlay root filesystem through ``ChrootRunner`` instead of an OCI runtime. The layer is
/// taken from the overlay's upper directory as for the other isolations. `RUN --mount` targets and a
/// heredoc's script are mounted by kiln (``ChrootMounts``).
extension Builder {
    /// Runs `spec`'s process (arguments, environment, working directory, user) chrooted into its rootfs.
    /// As an OCI runtime does, the /proc, /dev and /sys mountpoints are created when missing (they stay
    /// in the layer, as with runc); where kiln may mount (root), the host's /proc and /dev are bound
    /// there for the step and unbound after it, else the step sees them empty.
    func runChrooted(_ spec: ContainerSpec, output: @escaping @Sendable ([UInt8]) -> Void) async throws -> Int32 {
        let missing = ContainerRunner.missingMountpoints(spec)
        for dir in ["/proc", "/dev", "/sys"] where missing.contains(dir) {
            mkdir(spec.rootfs + dir, 0o755)
        }
        var bound: [String] = []
        for dir in ["/proc", "/dev"] {
            let target = spec.rootfs + dir
            var info = stat()
            // Only onto a real directory of the rootfs (lstat: never through a symlink the image holds).
            guard lstat(target, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { continue }
            if mount(dir, target, nil, UInt(MS_BIND | MS_REC), nil) == 0 { bound.append(target) }
        }
        defer { for target in bound.reversed() { umount2(target, Int32(MNT_DETACH)) } }
        // RUN --mount targets and a heredoc's script, mounted by kiln (no runtime does it here).
        let mounted = try ChrootMounts.mount(spec)
        defer { ChrootMounts.unmount(mounted) }
        return try await ChrootRunner.run(rootfs: spec.rootfs, args: spec.args, env: spec.env, cwd: spec.cwd,
                                          user: spec.user, output: output)
    }
}
