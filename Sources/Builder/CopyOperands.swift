import DockerfileSyntax

/// COPY and ADD, as one shape for the builder.
struct CopyOperands {
    var isAdd: Bool
    var sources: [String]
    var destination: String
    var from: String?
    var chown: String?
    var chmod: String?
    var checksum: String?
    /// `ADD --keep-git-dir`.
    var keepGitDir = false
    /// `ADD --unpack`: nil extracts local archives only (BuildKit's default), true also
    /// downloaded ones, false none.
    var unpack: Bool?
    var excludes: [String]
    var parents: Bool
    /// `--link` (BuildKit ignores it when `--chmod` is given).
    var link: Bool
    var range: SourceRange
    /// Heredoc sources (`COPY <<EOF /dest`).
    var contents: [SourceContent] = []

    init(_ copy: CopyInstruction) {
        isAdd = false
        sources = copy.sources.sourcePaths
        destination = copy.sources.destination
        from = copy.from
        chown = copy.chown
        chmod = copy.chmod
        excludes = copy.excludes
        parents = copy.parents
        link = copy.link
        range = copy.node.range
        contents = copy.sources.sourceContents
    }

    init(_ add: AddInstruction) {
        isAdd = true
        sources = add.sources.sourcePaths
        destination = add.sources.destination
        chown = add.chown
        chmod = add.chmod
        checksum = add.checksum
        keepGitDir = add.keepGitDir
        unpack = add.unpack
        excludes = add.excludes
        parents = false
        link = add.link
        range = add.node.range
        contents = add.sources.sourceContents
    }

    var keyword: String { isAdd ? "ADD" : "COPY" }

    static func isURL(_ s: String) -> Bool {
        s.hasPrefix("http://") || s.hasPrefix("https://")
    }
}
