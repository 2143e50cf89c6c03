import ErrorReporting
import ImageSpec

/// The one error type of the `ImageStore` module.
///
/// `message` says what went wrong and what to do next; `code` lets callers branch without matching
/// on text; `cause` keeps the underlying error (an `errno` text, an ``ImageSpecError``) when there is one.
public struct StoreError: ReportableError, Sendable, Equatable {
    public enum Code: String, Sendable, Equatable {
        /// Bytes did not hash to the digest they were declared with.
        case digestMismatch
        /// More or fewer bytes than the declared size arrived.
        case sizeMismatch
        /// A blob the caller asked for is not in the store.
        case blobNotFound
        /// A file in the store (index.json, oci-layout, a manifest) could not be decoded.
        case corruptStore
        /// A system call failed (permissions, disk full, …).
        case io
        /// The store root could not be determined or created.
        case invalidRoot
    }

    public var code: Code
    public var message: String
    /// The underlying error's text, if any.
    public var cause: String?

    public init(_ code: Code, _ message: String, cause: String? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public static var causeStyle: CauseStyle { .inParentheses }
}

extension StoreError {
    /// An I/O failure of `operation` on `path` with the current `errno`.
    static func io(_ operation: String, _ path: String, errno code: Int32) -> StoreError {
        let reason = String(cString: strerror(code))
        var hint = "check the permissions and free space of the store root, or choose another with --root or KILN_ROOT"
        if code == EACCES || code == EPERM {
            hint = "run as a user that may write there, or choose another root with --root or KILN_ROOT"
        } else if code == ENOSPC {
            hint = "free disk space (kiln system prune removes unreferenced blobs) and try again"
        }
        return StoreError(.io, "cannot \(operation) \(path): \(hint)", cause: reason)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
