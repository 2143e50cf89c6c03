/// `kiln build --isolation`: how RUN steps are isolated, and whether the asked one is available here.
///
/// - `oci`: runc in namespaces, as the host's root.
/// - `rootless`: runc in namespaces inside kiln's own user namespace (a plain user, see
///   `UserNamespaceEntry`).
/// - `chroot`: no namespaces and no OCI runtime, for kiln inside an unprivileged container: RUN steps
///   run in a chroot of the step's root filesystem (`ChrootRunner`); works for root too when asked for.
/// - `auto`: the strongest that works here (oci or rootless; chroot only when neither does, and the
///   first progress line says so: `autoChrootLine`; refused when chroot cannot work either, with
///   what the container must allow: `IsolationSupport`).
///
/// Never degrades: an isolation that is asked for and unavailable is refused with the reason.
public enum Isolation: String, Sendable, CaseIterable {
    case oci, rootless, chroot

    /// What `requested` ("auto", "oci", "rootless", "chroot") resolves to in `state` with `support`
    /// (default: everything installed and permitted), or the refusal saying why and what would help.
    public static func resolve(_ requested: String, state: UserNamespaceEntry.State,
                               support: IsolationSupport = IsolationSupport(runtime: true, chrootProblem: nil))
        -> Result<Isolation, IsolationRefusal> {
        let namespaced: Isolation?
        var reason: String
        switch state {
        case .hostRoot: namespaced = .oci; reason = ""
        case .inside: namespaced = .rootless; reason = ""
        case .unavailable(let why):
            namespaced = nil
            reason = "no user namespace could be made (\(why))"
        case .outside:
            namespaced = nil
            reason = "kiln is not in its user namespace"
        }
        let noRuntime = "no OCI runtime is installed (runc or crun: apt-get install runc, or set KILN_RUNTIME)"
        let available = support.runtime ? namespaced : nil
        switch requested {
        case "auto":
            if let available { return .success(available) }
            if support.chrootProblem == nil { return .success(.chroot) }
            // The chroot problem names the missing namespace itself; only a missing runtime is added.
            let why = (namespaced == nil ? "" : noRuntime + ", and ") + (support.chrootProblem ?? "")
            return .failure(IsolationRefusal("no isolation works here: \(why); \(IsolationSupport.containerHint)"))
        case "oci", "rootless":
            let wanted = Isolation(rawValue: requested)!
            if wanted == .oci, namespaced == .rootless {
                return .failure(IsolationRefusal("--isolation oci needs root; kiln runs rootless here (use --isolation rootless or auto)"))
            }
            if wanted == .rootless, namespaced == .oci {
                return .failure(IsolationRefusal("--isolation rootless is for a user without root; as root use --isolation oci or auto"))
            }
            if wanted == namespaced, !support.runtime {
                return .failure(IsolationRefusal("--isolation \(requested) is not available: \(noRuntime)"))
            }
            if wanted == namespaced { return .success(wanted) }
            return .failure(IsolationRefusal("--isolation \(requested) is not available: \(reason)"))
        case "chroot":
            if let problem = support.chrootProblem {
                return .failure(IsolationRefusal("--isolation chroot is not available: \(problem); \(IsolationSupport.containerHint)"))
            }
            return .success(.chroot)
        default:
            return .failure(IsolationRefusal("unknown isolation \"\(requested)\" (use auto, oci, rootless or chroot)"))
        }
    }

    /// The first progress line when `auto` fell back to chroot in `state` with `support`: says why
    /// oci and rootless do not work.
    public static func autoChrootLine(state: UserNamespaceEntry.State,
                                      support: IsolationSupport = IsolationSupport(runtime: true, chrootProblem: nil)) -> String {
        let why: String
        switch state {
        case .unavailable(let reason): why = "no user namespace could be made (\(reason))"
        case .outside: why = "kiln is not in its user namespace"
        case .hostRoot, .inside:
            why = support.runtime ? "oci and rootless are available" : "no OCI runtime (runc or crun) is installed"
        }
        return "isolation: chroot (no namespaces; auto: neither oci nor rootless works here: \(why))"
    }

    /// The build's first progress line.
    public var progressLine: String {
        switch self {
        case .oci: return "isolation: oci (runc in namespaces, as root)"
        case .rootless: return "isolation: rootless (runc in kiln's user namespace)"
        case .chroot: return "isolation: chroot (no namespaces)"
        }
    }
}

public struct IsolationRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
