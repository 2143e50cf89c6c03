import ErrorReporting
#if canImport(Glibc)
import Glibc
#endif

/// The one error type of the LayerArchive module.
///
/// `message` says what is wrong; `entry` names the archive entry (or filesystem path) it concerns,
/// when there is one. Every failure of the module, from a corrupt tar header to a hostile path
/// in a layer, surfaces as this error; nothing in the module traps on bad input.
public struct LayerArchiveError: ReportableError, Sendable, Equatable {
    /// What kind of failure this is, for callers that branch on it.
    public enum Kind: Sendable, Equatable {
        /// The input is not a well-formed tar stream (bad checksum, bad number, bad PAX record…).
        case corruptArchive
        /// The input ended in the middle of a header, an entry's content, or a compressed stream.
        case truncated
        /// Well-formed but not supported (sparse files, bzip2/xz/zstd compression, …).
        case unsupported
        /// An entry tried to reach outside the target directory, or is otherwise unsafe to apply.
        case unsafeEntry
        /// The caller broke an API contract (wrong content length, write after finish, …).
        case invalidUse
        /// A compression library error.
        case compression
        /// A system call failed.
        case io
    }

    public var kind: Kind
    public var message: String
    /// The archive entry or filesystem path concerned, if any.
    public var entry: String?
    /// The `errno` value, for `.io` errors.
    public var errno: Int32?

    public init(_ kind: Kind, _ message: String, entry: String? = nil, errno: Int32? = nil) {
        self.kind = kind
        self.message = message
        self.entry = entry
        self.errno = errno
    }

    /// The archive entry the failure concerns, after the message.
    public var cause: String? { entry.map { "entry \"\($0)\"" } }
    public static var causeStyle: CauseStyle { .inParentheses }

    /// An `.io` error from the current `errno`, naming the failed operation.
    static func system(_ operation: String, entry: String? = nil, code: Int32 = Glibc.errno) -> LayerArchiveError {
        let reason = String(cString: strerror(code))
        return LayerArchiveError(.io, "\(operation) failed: \(reason)", entry: entry, errno: code)
    }

    /// The same error, naming `entry` if it did not name one yet.
    func naming(_ entry: String) -> LayerArchiveError {
        var copy = self
        if copy.entry == nil { copy.entry = entry }
        return copy
    }
}
