/// `kiln build --isolation`: how RUN steps are isolated, and whether the asked one is available here.
///
/// - `oci`: runc in namespaces, as the host's root.
/// - `rootless`: runc in namespaces inside kiln's own user namespace (a plain user, see
///   `UserNamespaceEntry`).
/// - `chroot`: no namespaces and no OCI runtime, for kiln inside an unprivileged container: RUN steps
///   run in a chroot of the step's root filesystem (`ChrootRunner`); works for root too when asked for.
/// - `auto`: the strongest that works here (oci or rootless; chroot only when neither does, and the
///   first progress line says so: `autoChrootLine`).
///
/// Never degrades: an isolation that is asked for and unavailable is refused with the reason.
public enum Isolation: String, Sendable, CaseIterable {
    case oci, rootless, chroot

    /// What `requested` ("auto", "oci", "rootless", "chroot") resolves to in `state`, or the refusal.
    public static func resolve(_ requested: String, state: UserNamespaceEntry.State) -> Result<Isolation, IsolationRefusal> {
        let available: Isolation?
        var reason: String
        switch state {
        case .hostRoot: available = .oci; reason = ""
        case .inside: available = .rootless; reason = ""
        case .unavailable(let why):
            available = nil
            reason = "no user namespace could be made (\(why))"
        case .outside:
            available = nil
            reason = "kiln is not in its user namespace"
        }
        switch requested {
        case "auto":
            if let available { return .success(available) }
            return .success(.chroot)
        case "oci", "rootless":
            let wanted = Isolation(rawValue: requested)!
            if wanted == available { return .success(wanted) }
            if wanted == .oci, available == .rootless {
                return .failure(IsolationRefusal("--isolation oci needs root; kiln runs rootless here (use --isolation rootless or auto)"))
            }
            if wanted == .rootless, available == .oci {
                return .failure(IsolationRefusal("--isolation rootless is for a user without root; as root use --isolation oci or auto"))
            }
            return .failure(IsolationRefusal("--isolation \(requested) is not available: \(reason)"))
        case "chroot":
            return .success(.chroot)
        default:
            return .failure(IsolationRefusal("unknown isolation \"\(requested)\" (use auto, oci, rootless or chroot)"))
        }
    }

    /// The first progress line when `auto` fell back to chroot in `state`: says why oci and rootless do not work.
    public static func autoChrootLine(state: UserNamespaceEntry.State) -> String {
        let why: String
        switch state {
        case .unavailable(let reason): why = "no user namespace could be made (\(reason))"
        case .outside: why = "kiln is not in its user namespace"
        case .hostRoot, .inside: why = "oci and rootless are available"
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
