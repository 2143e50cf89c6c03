import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What this process has for running RUN steps, besides its user namespace state: whether an OCI
/// runtime is installed, and whether it may chroot and mount (what `--isolation chroot` needs).
/// Read from the process itself (PATH, /proc/self/status), never by trying a build.
public struct IsolationSupport: Sendable, Equatable {
    /// An OCI runtime (`$KILN_RUNTIME`, else runc or crun) is installed.
    public var runtime: Bool
    /// Why chroot(2) and the step's overlay mount cannot be done here, or nil when they can.
    public var chrootProblem: String?

    public init(runtime: Bool, chrootProblem: String?) {
        self.runtime = runtime
        self.chrootProblem = chrootProblem
    }

    /// The capabilities the chroot isolation needs: CAP_SYS_CHROOT (chroot) and CAP_SYS_ADMIN (mount).
    static let chrootCapabilities: [(bit: UInt64, name: String)] = [(18, "CAP_SYS_CHROOT"), (21, "CAP_SYS_ADMIN")]

    /// What a pod (an unprivileged container) must allow for kiln to build in it.
    public static let containerHint = "in a container, allow user namespaces so that kiln makes its own: "
        + "kiln/docker run --security-opt seccomp=unconfined (Kubernetes: securityContext.seccompProfile.type: "
        + "Unconfined; their default seccomp profiles refuse unshare(CLONE_NEWUSER) without CAP_SYS_ADMIN), "
        + "or run kiln there as root with CAP_SYS_CHROOT and CAP_SYS_ADMIN"

    /// This process's support, for user namespace state `state`.
    public static func current(state: UserNamespaceEntry.State,
                               environment: [String: String] = ProcessInfo.processInfo.environment) -> IsolationSupport {
        let preferred = environment["KILN_RUNTIME"].flatMap { $0.isEmpty ? nil : $0 }
        let runtime = (preferred.map { [$0] } ?? ["runc", "crun"]).contains { OCIRuntime.locate($0) != nil }
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        return IsolationSupport(runtime: runtime, chrootProblem: chrootProblem(forState: state, status: status))
    }

    /// Why chroot isolation is impossible for a process in `state` whose /proc/self/status is `status`.
    public static func chrootProblem(forState state: UserNamespaceEntry.State, status: String) -> String? {
        let effective = effectiveCapabilities(status: status)
        let missing = chrootCapabilities.filter { effective & (UInt64(1) << $0.bit) == 0 }.map(\.name)
        guard !missing.isEmpty else { return nil }
        switch state {
        case .unavailable(let why):
            return "kiln runs as uid \(getuid()) without capabilities and could not make a user namespace (\(why))"
        case .outside:
            return "kiln runs as uid \(getuid()) without capabilities, outside a user namespace"
        case .hostRoot, .inside:
            return "kiln lacks " + missing.joined(separator: " and ") + " (chroot and mount need them)"
        }
    }

    /// The CapEff mask of a /proc/PID/status text (0 when absent).
    public static func effectiveCapabilities(status: String) -> UInt64 {
        for line in status.split(separator: "\n") where line.hasPrefix("CapEff:") {
            let hex = line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces)
            return UInt64(hex, radix: 16) ?? 0
        }
        return 0
    }
}
