import Foundation

/// The OCI runtime-spec `config.json` for a `ContainerSpec` (runtime-spec 1.0.2, Linux).
///
/// Namespaces: mount, pid, ipc, uts, plus network for `.none` (a new one) and `.joined` (by path).
/// Mounts: /proc, a tmpfs /dev with devpts, shm and mqueue, a read-only /sys, the generated /etc
/// files, then the spec's own mounts. The runtime creates /dev/null, zero, full, random, urandom,
/// tty, the ptmx symlink and the fd/stdin/stdout/stderr links itself. Capabilities are Docker's
/// default set and the seccomp filter Docker's default profile (`SecurityOptions`); the /proc and
/// /sys paths Docker masks or makes read-only are masked the same way. `insecure` gives every
/// capability, no filter, no masked paths and a writable /sys. Resource limits (`ResourceLimits`) go to
/// `linux.resources` beside the devices rule, with the container's `linux.cgroupsPath`.
enum RuntimeConfig {
    /// Docker's default capability set (moby `oci/caps/defaults.go`).
    static let defaultCapabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ]

    /// Every capability Linux 5.9+ knows (`security=insecure`).
    static let allCapabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
        "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
        "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
    ]

    static func capabilities(_ security: SecurityOptions) -> [String] {
        security.insecure ? availableCapabilities : defaultCapabilities
    }

    /// `allCapabilities` less those outside this process's bounding set (kiln itself in a container
    /// cannot hand out what it lacks; the runtime would refuse to start).
    static let availableCapabilities: [String] = {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapBnd:") }),
              let mask = UInt64(line.dropFirst("CapBnd:".count).trimmingCharacters(in: .whitespaces), radix: 16) else {
            return allCapabilities
        }
        return allCapabilities.enumerated().filter { $0.offset < 64 && mask & (1 << UInt64($0.offset)) != 0 }.map(\.element)
    }()

    static let maskedPaths = [
        "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
        "/sys/firmware", "/sys/devices/virtual/powercap",
    ]

    /// /sys: a new sysfs as root; in rootless kiln's user namespace, where runc cannot mount a sysfs,
    /// a recursive bind of the host's (as `runc spec --rootless` does; the network devices listed
    /// under /sys/class/net are then the host's, not the container's).
    static func sysMount(readOnly: Bool) -> [String: Any] {
        let access = readOnly ? "ro" : "rw"
        if UserNamespaceMap.current.isInitial {
            return ["destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", access]]
        }
        return ["destination": "/sys", "type": "bind", "source": "/sys", "options": ["rbind", "nosuid", "noexec", "nodev", access]]
    }

    static let readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]

    /// Where the generated /etc files go inside the container, by file name in the bundle.
    static func etcMounts(_ files: EtcFiles) -> [(name: String, content: String, target: String)] {
        var result: [(String, String, String)] = []
        if let hosts = files.hosts { result.append(("hosts", hosts, "/etc/hosts")) }
        if let resolv = files.resolvConf { result.append(("resolv.conf", resolv, "/etc/resolv.conf")) }
        if let hostname = files.hostname { result.append(("hostname", hostname, "/etc/hostname")) }
        return result
    }

    /// Every mount destination in the container, in mount order (used to find mountpoints the
    /// runtime had to create in the root filesystem).
    static func mountTargets(_ spec: ContainerSpec) -> [String] {
        var targets = ["/proc", "/dev", "/sys"]
        targets += etcMounts(spec.etcFiles).map(\.target)
        targets += spec.mounts.map(\.target)
        return targets
    }

    /// The JSON document; `etcDirectory` holds the generated /etc files.
    static func json(_ spec: ContainerSpec, etcDirectory: String, targets: MountTargets? = nil) throws -> Data {
        try JSONSerialization.data(withJSONObject: document(spec, etcDirectory: etcDirectory, targets: targets),
                                   options: [.prettyPrinted, .sortedKeys])
    }

    /// `targets`: the destinations and working directory prepared in the rootfs (`MountTargets`).
    static func document(_ spec: ContainerSpec, etcDirectory: String, targets: MountTargets? = nil) -> [String: Any] {
        let targets = targets ?? MountTargets(cwd: spec.cwd)
        let process = self.process(args: spec.args, env: spec.env, cwd: targets.cwd, user: spec.user, terminal: spec.terminal,
                                   security: spec.security)
        var namespaces: [[String: Any]] = [["type": "pid"], ["type": "ipc"], ["type": "uts"], ["type": "mount"]]
        switch spec.network {
        case .host: break
        case .none: namespaces.append(["type": "network"])
        case .joined(let path): namespaces.append(["type": "network", "path": path])
        }
        var linux: [String: Any] = [
            "namespaces": namespaces,
            "maskedPaths": spec.security.insecure ? [] : maskedPaths,
            "readonlyPaths": spec.security.insecure ? [] : readonlyPaths,
        ]
        var resources: [String: Any] = spec.resources.ociResources
        resources["devices"] = [["allow": false, "access": "rwm"]]
        linux["resources"] = resources
        if let cgroupsPath = spec.cgroupsPath { linux["cgroupsPath"] = cgroupsPath }
        if let seccomp = seccomp(spec.security) { linux["seccomp"] = seccomp }
        var document: [String: Any] = [
            "ociVersion": "1.0.2",
            "process": process,
            "root": ["path": spec.rootfs, "readonly": spec.readOnlyRootfs],
            "hostname": spec.hostname,
            "mounts": mounts(spec, etcDirectory: etcDirectory, targets: targets),
            "linux": linux,
        ]
        if !spec.createRuntimeHooks.isEmpty {
            document["hooks"] = ["createRuntime": spec.createRuntimeHooks.map { ["path": $0[0], "args": $0] }]
        }
        return document
    }

    /// The `linux.seccomp` object, nil for none.
    static func seccomp(_ security: SecurityOptions) -> [String: Any]? {
        guard !security.insecure else { return nil }
        switch security.seccomp {
        case .unconfined: return nil
        case .dockerDefault: return SeccompProfile.dockerDefault.resolved(capabilities: capabilities(security))
        case .profile(let profile): return profile.resolved(capabilities: capabilities(security))
        }
    }

    /// The `process` object: also what `runc exec --process` reads.
    static func process(args: [String], env: [String], cwd: String, user: UserSpec, terminal: Bool,
                        security: SecurityOptions = .standard) -> [String: Any] {
        let caps = capabilities(security)
        var userObject: [String: Any] = ["uid": user.uid, "gid": user.gid]
        // The primary group first, then the supplementary ones (containerd's WithAdditionalGIDs since
        // CVE-2023-25173; BuildKit's testUserAdditionalGids: `USER 1234:1234` → groups=1234).
        var groups = [user.gid]
        for g in user.additionalGids where !groups.contains(g) { groups.append(g) }
        userObject["additionalGids"] = groups
        return [
            "terminal": terminal,
            "user": userObject,
            "args": args,
            "env": env,
            "cwd": cwd,
            "capabilities": ["bounding": caps, "effective": caps, "permitted": caps],
            "noNewPrivileges": security.noNewPrivileges,
        ]
    }

    private static func mounts(_ spec: ContainerSpec, etcDirectory: String, targets: MountTargets) -> [[String: Any]] {
        var list: [[String: Any]] = [
            ["destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]],
            ["destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]],
            ["destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]
                + (UserNamespaceMap.current.mapsGroup(5) ? ["gid=5"] : [])],
            ["destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]],
            ["destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]],
            sysMount(readOnly: !spec.security.insecure),
        ]
        for file in etcMounts(spec.etcFiles) {
            list.append(["destination": targets.destination(file.target), "type": "bind", "source": etcDirectory + "/" + file.name,
                         "options": ["rbind", "ro", "nosuid", "nodev"]])
        }
        for mount in spec.mounts {
            switch mount.kind {
            case .bind:
                list.append(["destination": targets.destination(mount.target), "type": "bind", "source": mount.source,
                             "options": ["rbind", mount.readOnly ? "ro" : "rw"]])
            case .tmpfs:
                var options = ["nosuid", "nodev", "mode=1777", mount.readOnly ? "ro" : "rw"]
                if let size = mount.size { options.append("size=\(size)") }
                list.append(["destination": targets.destination(mount.target), "type": "tmpfs", "source": "tmpfs", "options": options])
            }
        }
        return list
    }
}
