import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// An OCI runtime binary (runc or crun) that has been seen to start a container on this host.
public struct OCIRuntime: Sendable, Equatable {
    /// Absolute path of the executable.
    public let path: String
    /// Its name ("runc", "crun", or the file name of a custom path).
    public let name: String

    /// Finds a working runtime.
    ///
    /// `preferred` (default: `$KILN_RUNTIME`) is a name looked up on PATH or a path; when it is set
    /// only it is tried. Otherwise runc, then crun. A candidate is accepted only after it really
    /// started a trivial container (crun, for one, refuses to on cgroup v1 hybrid hosts); each
    /// probe's result is cached for the life of the process, and a success until the next boot
    /// (`RuntimeProbeRecord`).
    ///
    /// - Throws: `ContainerRuntimeError` `.noRuntime`, saying what was tried and why it failed.
    public static func detect(preferred: String? = ProcessInfo.processInfo.environment["KILN_RUNTIME"])
        throws -> OCIRuntime {
        let candidates = preferred.flatMap { $0.isEmpty ? nil : [$0] } ?? ["runc", "crun"]
        var problems: [String] = []
        for candidate in candidates {
            guard let path = locate(candidate) else {
                problems.append("\(candidate): not found")
                continue
            }
            let runtime = OCIRuntime(path: path, name: String(path.split(separator: "/").last ?? "runtime"))
            if let failure = RuntimeProbe.result(for: runtime) {
                problems.append("\(path): \(failure)")
            } else {
                return runtime
            }
        }
        throw ContainerRuntimeError(.noRuntime, "no working OCI runtime (" + problems.joined(separator: "; ")
            + "); install runc (apt-get install runc) or set KILN_RUNTIME to a runtime's path")
    }

    /// `name` itself when it contains a slash, else the first executable `name` on PATH
    /// (plus the sbin directories, which root's PATH may lack).
    static func locate(_ name: String) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init)
            + ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        for directory in directories where !directory.isEmpty {
            let candidate = directory + "/" + name
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}

/// Starting a trivial container, once per runtime path and process.
enum RuntimeProbe {
    private static let cache = Mutex<[String: String?]>([:])

    /// `nil` when `runtime` started and finished a container, else why not.
    static func result(for runtime: OCIRuntime) -> String? {
        if let known = cache.withLock({ $0[runtime.path] }) { return known }
        var failure: String? = nil
        if !RuntimeProbeRecord.passed(runtime.path) {
            failure = probe(runtime)
            if failure == nil { RuntimeProbeRecord.record(runtime.path) }
        }
        cache.withLock { $0[runtime.path] = .some(failure) }
        return failure
    }

    /// Runs the host's `true` in a container whose root holds read-only binds of the host's
    /// /usr (and /bin, /lib… as on the host: symlinks or binds).
    private static func probe(_ runtime: OCIRuntime) -> String? {
        guard let bundle = try? TemporaryDirectory(prefix: "kiln-probe") else { return "cannot create a temporary directory" }
        defer { bundle.remove() }
        let rootfs = bundle.path + "/rootfs"
        let state = bundle.path + "/state"
        mkdir(rootfs, 0o755)
        mkdir(state, 0o700)
        var mounts: [BindMount] = []
        for directory in ["/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"] {
            var info = stat()
            guard lstat(directory, &info) == 0 else { continue }
            if info.st_mode & S_IFMT == S_IFLNK {
                if let destination = readSymlink(directory) { symlink(destination, rootfs + directory) }
            } else if info.st_mode & S_IFMT == S_IFDIR {
                mkdir(rootfs + directory, 0o755)
                mounts.append(BindMount(source: directory, target: directory, readOnly: true))
            }
        }
        let spec = ContainerSpec(rootfs: rootfs, args: ["true"], network: .host, mounts: mounts,
                                 readOnlyRootfs: true, etcFiles: EtcFiles.none)
        let runner = ContainerRunner(runtime: runtime, stateDirectory: state)
        let id = "kiln-probe-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            let result = try runner.runBlocking(spec, id: id, bundleParent: bundle.path)
            if result.status == 0 { return nil }
            let text = result.output.split(separator: "\n").last.map(String.init) ?? "exit status \(result.status)"
            return text
        } catch {
            return "\(error)"
        }
    }
}
