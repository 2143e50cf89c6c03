import ErrorReporting

/// Why a `COPY`/`ADD` cannot be planned. `description` is worded as BuildKit prints it.
public struct CopyError: ReportableError, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A source operand names nothing (or only `.dockerignore`d files).
        case notFound
        /// The instruction has no source operand.
        case noSources
        /// A directory would be copied over something that is not a directory.
        case notADirectory
        /// A `COPY` option this planner does not support.
        case unsupported
        /// Reading a source, or extracting an archive, failed.
        case io
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// `failed to compute cache key: "/NAME": not found`, as BuildKit reports a missing source.
    static func notFound(_ path: String) -> CopyError {
        CopyError(.notFound, "failed to compute cache key: \"\(path)\" not found: not found")
    }
}
