import ImageSpec
import LayerArchive

/// Where the sources of a `COPY`/`ADD` are read from: the build context, or a stage's or an
/// image's root filesystem (`COPY --from`).
public struct CopySourceTree: Sendable {
    /// Directory holding the sources. Nothing outside it is ever read: symlinks are resolved
    /// confined to it and `..` cannot climb above it.
    public var root: String
    /// The build context: `.dockerignore` applies (`excluded`) and files are owned by 0:0 in
    /// the image (unless `--chown`). A stage or image keeps its files' owners.
    public var isContext: Bool
    /// Whether a context-relative path (slash-separated, no leading `/`) is excluded by
    /// `.dockerignore`. An excluded file is invisible; an excluded directory is visible only
    /// for its not-excluded descendants. Always false for stages.
    public var excluded: @Sendable (String) -> Bool
    /// For a directory `excluded` rejects: whether the context still holds the directory
    /// itself (its not-excluded content is visible only then). nil: kept exactly when
    /// something below it is not excluded. `context(root:ignorePatterns:)` sets Docker 20.10's
    /// rule.
    public var keepsExcludedDirectory: (@Sendable (String) -> Bool)?
    /// Remembered content digests for the cache checksum (the build context's files), so an
    /// unchanged file is not read again to find that nothing changed. nil: read every file.
    public var checksumCache: FileChecksumCache?

    public init(root: String, isContext: Bool, excluded: @escaping @Sendable (String) -> Bool = { _ in false },
                keepsExcludedDirectory: (@Sendable (String) -> Bool)? = nil, checksumCache: FileChecksumCache? = nil) {
        self.root = root
        self.isContext = isContext
        self.excluded = excluded
        self.keepsExcludedDirectory = keepsExcludedDirectory
        self.checksumCache = checksumCache
    }
}

/// One `COPY` or `ADD` instruction, with its operands already expanded.
public struct CopyRequest: Sendable {
    /// Source operands as written (after variable expansion); may hold Go `filepath.Match`
    /// wildcards (`*`, `?`, `[...]`).
    public var sources: [String]
    /// Destination as written; a trailing `/` means "into this directory".
    public var destination: String
    /// The image's `WORKDIR` (absolute), against which a relative destination is resolved.
    public var workingDirectory: String
    /// `--chown`, already resolved to numbers; nil keeps the policy of `CopySourceTree.isContext`.
    public var owner: (uid: UInt32, gid: UInt32)?
    /// `--chmod` permission bits.
    public var mode: UInt32?
    /// A symbolic `--chmod` (`u+x`, `go-w`, `a=rX`), applied to each entry's own bits; used
    /// when `mode` is nil.
    public var symbolicMode: String?
    /// `ADD`: a local tar archive (plain, gzip, bzip2, xz or zstd, told by content) is
    /// extracted into the destination instead of being copied.
    public var isAdd: Bool
    /// `COPY --exclude` patterns.
    public var excludePatterns: [String]
    /// `COPY --parents`.
    public var parents: Bool

    public init(sources: [String], destination: String, workingDirectory: String = "/",
                owner: (uid: UInt32, gid: UInt32)? = nil, mode: UInt32? = nil, isAdd: Bool = false,
                excludePatterns: [String] = [], parents: Bool = false, symbolicMode: String? = nil) {
        self.sources = sources
        self.destination = destination
        self.workingDirectory = workingDirectory
        self.owner = owner
        self.mode = mode
        self.isAdd = isAdd
        self.excludePatterns = excludePatterns
        self.parents = parents
        self.symbolicMode = symbolicMode
    }
}

/// What a `COPY`/`ADD` adds: the layer's entries and a checksum for the build cache.
public struct CopyPlan: Sendable {
    /// Layer entries in `LayerDiff` order (depth-first, byte-wise sorted names, a directory
    /// before its content), ready for `LayerDiff.writeLayer`. Paths have no leading `/`;
    /// directories end with `/`.
    public var entries: [LayerEntry]
    /// Checksum over the entries' names, types, contents, modes, owners, link targets and
    /// xattrs — never their times — so an unchanged copy hits the cache.
    public var sourceDigest: Digest

    public init(entries: [LayerEntry], sourceDigest: Digest) {
        self.entries = entries
        self.sourceDigest = sourceDigest
    }
}
