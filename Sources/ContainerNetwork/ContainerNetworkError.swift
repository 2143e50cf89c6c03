/// Why a container's user-space network could not be set up or a `-p` specification was rejected.
public enum ContainerNetworkError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A `-p`/`--publish` specification Docker would reject; the message follows Docker's wording.
    case invalidPortSpec(spec: String, reason: String)
    /// The host address and port (e.g. "127.0.0.1:8080/tcp") is already bound by another process.
    case portInUse(String)
    /// No free host port could be found for the given address (and range).
    case noFreePort(String)
    /// pasta (Debian's `passt` package) is not installed.
    case helperMissing(String)
    /// The helper started but failed; the text is its own diagnostic.
    case helperFailed(String)
    /// A system call failed.
    case system(String, errno: Int32)

    public var description: String {
        switch self {
        case .invalidPortSpec(let spec, let reason):
            return "invalid port specification \"\(spec)\": \(reason)"
        case .portInUse(let address):
            return "cannot publish port: \(address) is already in use on the host"
        case .noFreePort(let what):
            return "cannot publish port: no free host port \(what)"
        case .helperMissing(let detail):
            return "user-space networking needs pasta (Debian package passt): \(detail)"
        case .helperFailed(let detail):
            return "pasta failed to set up the container's network: \(detail)"
        case .system(let what, let code):
            return "\(what): \(String(cString: strerror(code)))"
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
