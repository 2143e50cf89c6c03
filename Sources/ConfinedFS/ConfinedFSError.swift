import ErrorReporting
#if canImport(Glibc)
import Glibc
#endif

/// A failed operation on a confined root: what was tried, on which path inside the root, and
/// the system error. `errno` is kept so callers can tell a missing path (`ENOENT`) or a path
/// that leads through a non-directory (`ENOTDIR`) from other failures.
public struct ConfinedFSError: ReportableError, Sendable {
    /// The operation, e.g. "mkdir" or "open".
    public var operation: String
    /// The path as the caller gave it, inside the root.
    public var path: String
    /// The system error number (`ELOOP` for too many symlinks, `EXDEV` for a path refused
    /// because it would leave the root under `.noSymlinks`).
    public var errno: Int32

    public init(_ operation: String, _ path: String, errno: Int32) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    /// The operation and the path inside the root.
    public var message: String { "\(operation) \(path)" }
    /// The system error's text.
    public var cause: String? { String(cString: strerror(errno)) }

    /// True when the path (or one of its directories) does not exist.
    public var isMissing: Bool { errno == ENOENT }
}
