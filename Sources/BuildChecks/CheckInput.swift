import DockerfileSyntax

/// Everything the linter looks at. Built by the caller; the linter does no I/O.
public struct CheckInput: Sendable {
    public var tree: SyntaxTree
    /// The Dockerfile text, for rules that look at every line (comments and heredocs included).
    /// When nil those rules look at the instructions' text only.
    public var source: String?
    /// The build context after `.dockerignore` filtering; nil when there is no context to look at
    /// (the context rules then stay silent).
    public var context: ContextListing?
    /// What was learned by resolving base images (kiln check does not pull, so usually empty).
    public var basePlatforms: [BasePlatform]

    /// The typed instructions, nil when the Dockerfile does not validate. Rules read the syntax
    /// tree (they need keyword casing and locations) and parse single instructions as needed.
    public var program: DockerfileProgram?

    /// The Dockerfile's stages and global ARGs, derived from `tree`.
    let model: DockerfileModel

    public init(tree: SyntaxTree, source: String? = nil, context: ContextListing? = nil, basePlatforms: [BasePlatform] = []) {
        self.tree = tree
        self.source = source
        self.context = context
        self.basePlatforms = basePlatforms
        self.program = try? DockerfileProgram.parse(tree)
        self.model = DockerfileModel(tree)
    }
}

/// The files of a build context as the build would send them.
public struct ContextListing: Sendable {
    /// Files left after `.dockerignore` filtering, relative to the context root, `/`-separated,
    /// without a leading `./` (e.g. `src/main.c`, `.env`). Directories need not be listed.
    public var files: [String]
    /// The ignore file that applied; nil when the context has none.
    public var ignoreFile: IgnoreFileInfo?

    public init(files: [String], ignoreFile: IgnoreFileInfo? = nil) {
        self.files = files
        self.ignoreFile = ignoreFile
    }
}

/// The `.dockerignore` (or `<Dockerfile>.dockerignore`) in effect.
public struct IgnoreFileInfo: Sendable {
    /// The name to show, e.g. `.dockerignore`.
    public var name: String
    /// The patterns in file order.
    public var patterns: [String]
    /// Whether a context-relative path is excluded by the patterns (BuildKit semantics).
    public var excludes: @Sendable (String) -> Bool

    public init(name: String, patterns: [String], excludes: @escaping @Sendable (String) -> Bool) {
        self.name = name
        self.patterns = patterns
        self.excludes = excludes
    }
}

/// The platform a stage's base image was resolved with, for `InvalidBaseImagePlatform`.
public struct BasePlatform: Sendable, Hashable {
    /// Index of the stage (0-based, in source order).
    public var stage: Int
    public var image: String
    /// The platform the build expected, e.g. `linux/amd64`.
    public var expected: String
    /// The platform of the image that was pulled.
    public var actual: String

    public init(stage: Int, image: String, expected: String, actual: String) {
        self.stage = stage
        self.image = image
        self.expected = expected
        self.actual = actual
    }
}
