import ErrorReporting

/// The one error type of the `ImageArchive` module.
///
/// `message` says what went wrong and what to do next; `code` lets callers branch; `cause` keeps
/// the underlying error's text (a ``StoreError``, a tar error, an `errno` text) when there is one.
public struct ArchiveError: ReportableError, Sendable, Equatable {
    public enum Code: String, Sendable, Equatable {
        /// The archive is not a docker-archive, OCI archive or OCI layout, or a JSON document in it is invalid.
        case invalidArchive
        /// An entry path escapes the archive (absolute, `..`, a symlink pointing outside).
        case unsafeArchive
        /// A file the archive's manifest names is not in the archive.
        case missingContent
        /// Content does not match the digest (or diffID) it is declared with.
        case digestMismatch
        /// An image name or ID could not be resolved in the store.
        case imageNotFound
        /// A name or ID matches more than one image.
        case ambiguous
        /// A `--change` instruction is invalid or not allowed.
        case invalidChange
        /// Reading or writing a file failed.
        case io
        /// Something the archive needs is not supported (e.g. zstd layers).
        case unsupported
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
}
