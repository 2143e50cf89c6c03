import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where a container with resource limits gets its cgroup (the OCI `linux.cgroupsPath`), and whether it can
/// have one at all. As root: `/kiln/<id>` in every hierarchy (cgroup v1 or v2; runc creates and removes it).
/// Rootless: only inside a cgroup v2 subtree delegated to the user (`CgroupDelegation`), else the run is
/// refused — limits are never silently dropped. A container without limits gets no path (the runtime's default,
/// none rootless), as before.
public enum CgroupPlacement {
    /// The cgroup path for container `id`, nil when `limits` is empty. Throws, naming why, when this process
    /// cannot give the container a cgroup it may limit (rootless without a delegated cgroup v2 subtree).
    public static func path(for id: String, limits: ResourceLimits, rootless: Bool = !UserNamespaceMap.current.isInitial,
                            delegation: (() -> CgroupDelegation.Outcome)? = nil) throws -> String? {
        guard !limits.isEmpty else { return nil }
        guard rootless else { return "/kiln/" + id }
        // Only the controllers these limits need must be delegated (a pids limit needs no memory controller).
        switch delegation?() ?? CgroupDelegation.detect(needed: limits.controllers) {
        case .unavailable(let reason):
            throw ContainerRuntimeError(.invalidUse, "resource limits need cgroup v2 with a delegated subtree; " + reason)
        case .delegated(let subtree):
            try subtree.enable(limits.controllers)
            return subtree.path + "/kiln-" + id
        }
    }

    /// Checks, before a container is created, that `limits` can be applied here (see `path`).
    public static func check(_ limits: ResourceLimits) throws {
        _ = try path(for: "check", limits: limits)
    }

    /// How often the kernel OOM-killed a process of the cgroup at `path` (`memory.oom_control`'s `oom_kill`
    /// on cgroup v1, `memory.events`' `oom_kill` on v2); nil when the cgroup or the counter is not there.
    public static func oomKills(cgroupPath path: String, cgroupRoot: String = "/sys/fs/cgroup") -> Int? {
        for file in [cgroupRoot + "/memory" + path + "/memory.oom_control", cgroupRoot + path + "/memory.events"] {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: " ")
                if fields.count == 2, fields[0] == "oom_kill", let count = Int(fields[1]) { return count }
            }
        }
        return nil
    }
}

/// A cgroup v2 subtree this (unprivileged) user may manage: systemd's `Delegate=yes` (user@.service, or
/// `systemd-run --user --scope -p Delegate=yes`), or any cgroup whose directory was handed to the user.
///
/// `detect` reads /proc/self/cgroup and /proc/self/mountinfo: the machine must run cgroup v2 alone (no v1
/// hierarchy in /proc/self/cgroup), this process's cgroup directory must be writable by it, and its
/// `cgroup.controllers` must list the controllers the limits need. Containers then go below it.
public struct CgroupDelegation: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        case delegated(CgroupDelegation)
        /// Why not, as the end of a sentence ("this machine has cgroup v1").
        case unavailable(String)
    }

    /// The cgroup's path in the hierarchy ("/user.slice/…/app.slice/kiln.scope").
    public let path: String
    /// Its directory ("/sys/fs/cgroup" + path).
    public let directory: String
    /// Its `cgroup.controllers`.
    public let controllers: [String]

    /// Reads the files a delegation check needs (injected in tests).
    public struct Host: Sendable {
        public var read: @Sendable (String) -> String?
        public var writable: @Sendable (String) -> Bool
        public var write: @Sendable (String, String) -> Bool
        public var makeDirectory: @Sendable (String) -> Bool

        public init(read: @escaping @Sendable (String) -> String?, writable: @escaping @Sendable (String) -> Bool,
                    write: @escaping @Sendable (String, String) -> Bool, makeDirectory: @escaping @Sendable (String) -> Bool) {
            self.read = read
            self.writable = writable
            self.write = write
            self.makeDirectory = makeDirectory
        }

        public static let system = Host(
            read: { try? String(contentsOfFile: $0, encoding: .utf8) },
            writable: { access($0, W_OK) == 0 },
            write: { path, text in
                let fd = open(path, O_WRONLY | O_CLOEXEC)
                guard fd >= 0 else { return false }
                defer { close(fd) }
                return Array(text.utf8).withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } == text.utf8.count
            },
            makeDirectory: { mkdir($0, 0o755) == 0 || errno == EEXIST })
    }

    let host: Host

    public static func == (a: CgroupDelegation, b: CgroupDelegation) -> Bool {
        a.path == b.path && a.directory == b.directory && a.controllers == b.controllers
    }

    /// `needed`: the controllers to look for (cgroup v2 names).
    public static func detect(needed: [String] = ["memory", "pids", "cpu"], host: Host = .system,
                              procSelfCgroup: String = "/proc/self/cgroup", mountinfo: String = "/proc/self/mountinfo") -> Outcome {
        guard let membership = host.read(procSelfCgroup), let mounts = host.read(mountinfo) else {
            return .unavailable("cannot read \(procSelfCgroup) or \(mountinfo)")
        }
        let lines = membership.split(separator: "\n").filter { !$0.isEmpty }
        let unified = lines.first { $0.hasPrefix("0::") }
        let v1 = lines.filter { !$0.hasPrefix("0::") }
        let v2Mount = mounts.split(separator: "\n").compactMap { line -> (root: String, point: String)? in
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2, halves[1].split(separator: " ").first == "cgroup2" else { return nil }
            let fields = halves[0].split(separator: " ")
            guard fields.count >= 5 else { return nil }
            return (String(fields[3]), String(fields[4]))
        }.first
        guard v1.isEmpty, let unified, let v2Mount else {
            return .unavailable("this machine has cgroup v1")
        }
        let path = String(unified.dropFirst(3))
        let relative = v2Mount.root == "/" ? path : String(path.dropFirst(v2Mount.root.count))
        let directory = v2Mount.point + (relative == "/" ? "" : relative)
        guard host.writable(directory), host.writable(directory + "/cgroup.procs") else {
            return .unavailable("your cgroup \(path) is not writable by you (not delegated: start kiln in a delegated one, "
                + "e.g. `systemd-run --user --scope -p Delegate=yes kiln run …`)")
        }
        let controllers = (host.read(directory + "/cgroup.controllers") ?? "").split(whereSeparator: \.isWhitespace).map(String.init)
        let missing = needed.filter { !controllers.contains($0) }
        guard missing.isEmpty else {
            return .unavailable("the \(missing.joined(separator: ", ")) controller\(missing.count == 1 ? " is" : "s are") not delegated "
                + "to your cgroup \(path) (its cgroup.controllers: \(controllers.isEmpty ? "none" : controllers.joined(separator: " ")))")
        }
        return .delegated(CgroupDelegation(path: path == "/" ? "" : path, directory: directory, controllers: controllers, host: host))
    }

    /// Makes `controllers` available to the cgroups below this one. cgroup v2 allows that only in a cgroup that
    /// holds no process itself, so the processes of this cgroup (kiln's own) first move to a leaf `kiln-init`
    /// below it (as Podman and crun do in a delegated scope).
    public func enable(_ wanted: [String]) throws {
        let control = directory + "/cgroup.subtree_control"
        let enabled = Set((host.read(control) ?? "").split(whereSeparator: \.isWhitespace).map(String.init))
        let missing = wanted.filter { !enabled.contains($0) }
        guard !missing.isEmpty else { return }
        let leaf = directory + "/kiln-init"
        let members = (host.read(directory + "/cgroup.procs") ?? "").split(separator: "\n").filter { !$0.isEmpty }
        if !members.isEmpty {
            guard host.makeDirectory(leaf) else {
                throw ContainerRuntimeError(.io, "resource limits: cannot create the cgroup \(leaf)", path: leaf)
            }
            for pid in members { _ = host.write(leaf + "/cgroup.procs", String(pid)) }
        }
        guard host.write(control, missing.map { "+" + $0 }.joined(separator: " ")) else {
            throw ContainerRuntimeError(.io, "resource limits: cannot enable the \(missing.joined(separator: ", ")) controllers for the "
                + "cgroups below \(path) (writing \(control) failed)", path: control)
        }
    }
}
