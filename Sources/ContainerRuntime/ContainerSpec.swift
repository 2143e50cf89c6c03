/// The numeric identity a container process runs as.
public struct UserSpec: Sendable, Equatable {
    public var uid: UInt32
    public var gid: UInt32
    /// Supplementary groups, in /etc/group order.
    public var additionalGids: [UInt32]

    public init(uid: UInt32 = 0, gid: UInt32 = 0, additionalGids: [UInt32] = []) {
        self.uid = uid
        self.gid = gid
        self.additionalGids = additionalGids
    }

    /// root (0:0), the default when an image sets no USER.
    public static let root = UserSpec()
}

/// How a container reaches the network.
public enum NetworkMode: Sendable, Equatable {
    /// Share the host's network namespace (BuildKit's default for RUN in kiln: no bridges are made).
    case host
    /// A network namespace of its own with only the loopback interface up.
    case none
    /// Join the existing network namespace bound at this path (an nsfs bind mount, e.g. a build's
    /// namespace served by pasta, shared by its RUN steps).
    case joined(String)
}

/// The seccomp filter, capabilities and privilege rules of a container's process.
public struct SecurityOptions: Sendable, Equatable {
    public enum Seccomp: Sendable, Equatable {
        /// Docker's default profile (`SeccompProfile.dockerDefault`).
        case dockerDefault
        /// No filter (`--security-opt seccomp=unconfined`).
        case unconfined
        /// A profile read from a file (`--security-opt seccomp=FILE`).
        case profile(SeccompProfile)
    }

    public var seccomp: Seccomp
    /// Set the process's no_new_privs bit: setuid binaries and file capabilities gain nothing.
    public var noNewPrivileges: Bool
    /// BuildKit's `RUN --security=insecure` (Docker's `--privileged`): every capability, no seccomp
    /// filter, no masked or read-only /proc paths, a writable /sys.
    public var insecure: Bool

    public init(seccomp: Seccomp = .dockerDefault, noNewPrivileges: Bool = false, insecure: Bool = false) {
        self.seccomp = seccomp
        self.noNewPrivileges = noNewPrivileges
        self.insecure = insecure
    }

    /// Docker's defaults: the default seccomp profile and capability set.
    public static let standard = SecurityOptions()
    /// `security=insecure`.
    public static let insecure = SecurityOptions(seccomp: .unconfined, insecure: true)
}

/// An extra mount inside the container: a bind of a host path, or a fresh tmpfs.
public struct BindMount: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case bind
        case tmpfs
    }

    public var kind: Kind
    /// The host path (ignored for `.tmpfs`).
    public var source: String
    /// The absolute path inside the container.
    public var target: String
    public var readOnly: Bool
    /// `.tmpfs`: the size limit in bytes (`size=`), nil for the kernel's default (half the RAM).
    public var size: Int64?

    public init(kind: Kind = .bind, source: String, target: String, readOnly: Bool, size: Int64? = nil) {
        self.kind = kind
        self.source = source
        self.target = target
        self.readOnly = readOnly
        self.size = size
    }
}

/// Contents of the generated /etc files bind-mounted (read-only) into the container; `nil` leaves
/// the image's own file in place.
public struct EtcFiles: Sendable, Equatable {
    public var hosts: String?
    public var resolvConf: String?
    public var hostname: String?

    public init(hosts: String?, resolvConf: String?, hostname: String?) {
        self.hosts = hosts
        self.resolvConf = resolvConf
        self.hostname = hostname
    }

    /// Mount none of them.
    public static let none = EtcFiles(hosts: nil, resolvConf: nil, hostname: nil)

    /// The files BuildKit gives a RUN step: /etc/hosts naming `hostname` on the loopback addresses
    /// (plus `extraHosts` lines such as "10.0.0.1\tdb"), the host's /etc/resolv.conf — as-is with host
    /// networking, otherwise without loopback nameservers (Docker's public defaults when none are
    /// left) — and /etc/hostname.
    public static func standard(hostname: String, network: NetworkMode, extraHosts: [String] = [],
                                hostResolvConf: String = "/etc/resolv.conf") -> EtcFiles {
        var hosts = "127.0.0.1\tlocalhost \(hostname)\n::1\tlocalhost ip6-localhost ip6-loopback\n"
        for line in extraHosts { hosts += line + "\n" }
        let original = (try? readHostFile(hostResolvConf)) ?? ""
        let resolv = network == .host ? original : ResolvConf.withoutLoopback(original)
        return EtcFiles(hosts: hosts, resolvConf: resolv, hostname: hostname + "\n")
    }
}

/// Everything needed to run one process in a container.
public struct ContainerSpec: Sendable {
    /// The root filesystem: a mounted directory such as an `OverlayMount` target.
    public var rootfs: String
    public var args: [String]
    /// "KEY=value" entries.
    public var env: [String]
    /// The absolute working directory; created when missing (as Docker does).
    public var cwd: String
    public var user: UserSpec
    public var hostname: String
    public var network: NetworkMode
    public var mounts: [BindMount]
    public var readOnlyRootfs: Bool
    /// Allocate a pseudo-terminal (then output is not split into stdout/stderr anyway).
    public var terminal: Bool
    public var etcFiles: EtcFiles
    /// OCI `createRuntime` hooks (argv, argv[0] an absolute path): run on the host once the
    /// container's namespaces exist and before its process starts, with the runtime state (JSON,
    /// holding the container's `pid`) on stdin. The runtime waits for them; a failing hook fails the start.
    public var createRuntimeHooks: [[String]] = []
    /// Seccomp, capabilities, no_new_privs (default: Docker's).
    public var security: SecurityOptions = .standard
    /// cgroup limits (`linux.resources`); they need `cgroupsPath` (see `CgroupPlacement`).
    public var resources: ResourceLimits = .none
    /// The container's cgroup (`linux.cgroupsPath`); nil: the runtime's default. With a path the runtime keeps
    /// the stopped container until kiln has read its OOM count (`StartedContainer.oomKilled`).
    public var cgroupsPath: String? = nil

    public init(rootfs: String, args: [String], env: [String] = ContainerSpec.defaultEnv, cwd: String = "/",
                user: UserSpec = .root, hostname: String = "buildkitsandbox", network: NetworkMode = .host,
                mounts: [BindMount] = [], readOnlyRootfs: Bool = false, terminal: Bool = false,
                etcFiles: EtcFiles? = nil) {
        self.rootfs = rootfs
        self.args = args
        self.env = env
        self.cwd = cwd
        self.user = user
        self.hostname = hostname
        self.network = network
        self.mounts = mounts
        self.readOnlyRootfs = readOnlyRootfs
        self.terminal = terminal
        self.etcFiles = etcFiles ?? .standard(hostname: hostname, network: network)
    }

    /// The PATH Docker and BuildKit use when the image sets none.
    public static let defaultEnv = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
}
