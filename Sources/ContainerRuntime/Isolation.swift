/// `kiln build --isolation`: how RUN steps are isolated, and whether the asked one is available here.
///
/// - `oci`: runc in namespaces, as the host's root.
/// - `rootless`: runc in namespaces inside kiln's own user namespace (a plain user, see
///   `UserNamespaceEntry`).
/// - `chroot`: no namespaces, for kiln inside an unprivileged container (not implemented yet: refused).
/// - `auto`: the strongest that works here.
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
            return .failure(IsolationRefusal("no isolation is available: \(reason); the chroot isolation for unprivileged "
                                             + "containers is not implemented yet"))
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
            return .failure(IsolationRefusal("--isolation chroot is not implemented yet"))
        default:
            return .failure(IsolationRefusal("unknown isolation \"\(requested)\" (use auto, oci, rootless or chroot)"))
        }
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
