/// One build step's container run over layer snapshots, start to finish.
extension ContainerRunner {
    /// Mounts `lowerDirs` (base first) with `upperDir`/`workDir` at `mountTarget`, builds the spec
    /// with `makeSpec(rootfs)` (resolve USER against the mounted rootfs there), runs it, unmounts,
    /// and removes the runtime's mountpoints from `upperDir` (`cleanMountpoints`). `upperDir` then
    /// holds exactly the step's changes, ready to be diffed into a layer.
    ///
    /// The overlay is unmounted on every path, including errors and cancellation.
    ///
    /// - Returns: the process's exit status (128 + signal when killed).
    /// - Throws: errors of `OverlayMount.mount`, of `makeSpec`, of `run` (including `CancellationError`).
    public func runStep(lowerDirs: [String], upperDir: String, workDir: String, mountTarget: String, id: String,
                        stdin: Int32? = nil, makeSpec: (String) throws -> ContainerSpec,
                        output: @escaping @Sendable ([UInt8]) -> Void) async throws -> Int32 {
        let mount = try OverlayMount.mount(lowerDirs: lowerDirs, upperDir: upperDir, workDir: workDir,
                                           target: mountTarget, readOnly: false)
        let status: Int32
        let created: [String]
        do {
            var spec = try makeSpec(mount.target)
            spec.rootfs = mount.target
            created = Self.missingMountpoints(spec)
            status = try await run(spec, id: id, stdin: stdin, output: output)
        } catch {
            try? mount.unmount()
            throw error
        }
        try mount.unmount()
        Self.cleanMountpoints(upperDir: upperDir, lowerDirs: lowerDirs, created: created)
        return status
    }
}
