import ErrorReporting
#if canImport(Glibc)
import Glibc
#endif

/// The one error type of the ContainerRuntime module.
///
/// `message` says what went wrong and, where it can, what to do next; `path` names the file or
/// directory concerned when there is one.
public struct ContainerRuntimeError: ReportableError, Sendable, Equatable {
    /// What kind of failure this is, for callers that branch on it.
    public enum Kind: Sendable, Equatable {
        /// No usable OCI runtime (runc/crun) was found, or the chosen one cannot start containers.
        case noRuntime
        /// A mount or unmount failed.
        case mount
        /// A USER value could not be resolved against the image's /etc/passwd and /etc/group.
        case user
        /// The runtime failed to create or run the container (not the process's own exit status).
        case runtime
        /// The caller broke an API contract (missing work dir, bad spec …).
        case invalidUse
        /// A system call failed.
        case io
    }

    public var kind: Kind
    public var message: String
    /// The file or directory concerned, if any.
    public var path: String?
    /// The `errno` value, for `.io` and `.mount` errors.
    public var errno: Int32?

    public init(_ kind: Kind, _ message: String, path: String? = nil, errno: Int32? = nil) {
        self.kind = kind
        self.message = message
        self.path = path
        self.errno = errno
    }

    /// The file or directory the failure concerns, after the message.
    public var cause: String? { path }
    public static var causeStyle: CauseStyle { .inParentheses }

    /// An error of `kind` from the current `errno`, naming the failed operation.
    static func system(_ kind: Kind, _ operation: String, path: String? = nil,
                       code: Int32 = Glibc.errno) -> ContainerRuntimeError {
        let reason = String(cString: strerror(code))
        return ContainerRuntimeError(kind, "\(operation) failed: \(reason)", path: path, errno: code)
    }

    /// An `.io` error from the current `errno`, naming the failed operation.
    static func system(_ operation: String, path: String? = nil, code: Int32 = Glibc.errno) -> ContainerRuntimeError {
        system(.io, operation, path: path, code: code)
    }
}
