/// A COPY/ADD source given inline as a heredoc (`COPY <<EOF /dest`).
public struct SourceContent: Sendable, Hashable {
    /// The file name: the heredoc name.
    public var path: String
    /// The body (`<<-` tabs already removed).
    public var data: String
    /// Unquoted delimiter: the builder expands the body (quotes kept, escapes processed).
    public var expand: Bool

    public init(path: String, data: String, expand: Bool) {
        self.path = path
        self.data = data
        self.expand = expand
    }

    /// The file's bytes: `data` passed through `expander` (the builder's heredoc expansion: ARG/ENV
    /// variables, escapes processed with `\\`, quotes kept) when `expand` is true, else `data` as is.
    public func expandedData<E: Error>(_ expander: (String) throws(E) -> String) throws(E) -> String {
        expand ? try expander(data) : data
    }
}

/// The sources and destination shared by COPY and ADD (raw; expanded by the builder).
public struct SourcesAndDestination: Sendable, Hashable {
    /// Paths, globs or URLs, in order (heredoc markers excluded).
    public var sourcePaths: [String]
    /// Heredoc sources, in order.
    public var sourceContents: [SourceContent]
    public var destination: String

    /// The last argument is the destination (never a heredoc); every heredoc marker among the
    /// others takes its body from the node's heredoc of that name (as in BuildKit, this applies to
    /// the JSON form too; a marker without a body gives empty content).
    init(_ node: Node) throws(DockerfileError) {
        guard node.args.count >= 2 else { throw InstructionErrors.noDestinationArgument(node) }
        destination = node.args[node.args.count - 1]
        if SourcesAndDestination.heredocMarker(destination) != nil {
            throw InstructionErrors.badHeredoc(node, as: "a destination")
        }
        var bodies: [String: String] = [:]
        for heredoc in node.heredocs { bodies[heredoc.name] = heredoc.content }
        sourcePaths = []
        sourceContents = []
        for source in node.args.dropLast() {
            if let marker = SourcesAndDestination.heredocMarker(source) {
                let name = GoText.string(marker.name)
                let body = bodies[name] ?? ""
                sourceContents.append(SourceContent(
                    path: name, data: marker.chomp ? Heredoc.chomp(body) : body, expand: marker.expand))
            } else {
                sourcePaths.append(source)
            }
        }
    }
}

extension SourcesAndDestination {
    /// The heredoc marker a COPY/ADD argument is (`<<EOF`, `<<-"EOF"`), using the parser's rules;
    /// nil when it is not one (lexing errors count as "not a heredoc", as in BuildKit).
    static func heredocMarker(_ word: String) -> HeredocMarker? {
        (try? DockerfileParser.parseHeredocWord(Array(word.utf8))) ?? nil
    }
}

/// `COPY [--from=] [--chown=] [--chmod=] [--link] [--parents] [--exclude=]... src... dest`.
public struct CopyInstruction: Sendable, Hashable {
    public var node: Node
    public var sources: SourcesAndDestination
    /// Stage name, stage index, image or named context; nil when not given. Never expanded.
    public var from: String?
    /// Raw `--chown` / `--chmod` values (expanded and validated by the builder; see `Chmod`).
    public var chown: String?
    public var chmod: String?
    public var link: Bool
    public var parents: Bool
    public var excludes: [String]

    static let acceptedFlags: [String: FlagKind] = [
        "from": .string, "chown": .string, "chmod": .string, "link": .bool, "parents": .bool, "exclude": .strings,
    ]

    init(_ node: Node) throws(DockerfileError) {
        guard node.args.count >= 2 else { throw InstructionErrors.noDestinationArgument(node) }
        let flags = try FlagParser.parse(node, accepting: CopyInstruction.acceptedFlags)
        if let from = flags.string("from"), CopyInstruction.usesShellSyntax(from) {
            throw DockerfileError(
                "variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround",
                range: FlagLocator.range(of: "--from", in: node))
        }
        self.node = node
        self.sources = try SourcesAndDestination(node)
        self.from = flags.string("from")
        self.chown = flags.string("chown")
        self.chmod = flags.string("chmod")
        self.link = flags.bool("link") ?? false
        self.parents = flags.bool("parents") ?? false
        self.excludes = flags.strings("exclude")
    }

    /// Whether shell expansion with no variables set would change `word` (a `$name`, `${...}`,
    /// quotes or escapes): BuildKit rejects such `--from` values.
    static func usesShellSyntax(_ word: String) -> Bool {
        let scalars = Array(word.unicodeScalars)
        for (i, s) in scalars.enumerated() {
            if s == "'" || s == "\"" || s == "\\" { return true }
            guard s == "$", i + 1 < scalars.count else { continue }
            let next = scalars[i + 1]
            if next == "{" || next == "_" || next.properties.isAlphabetic || ("0"..."9").contains(next)
                || "@*#?$!-".unicodeScalars.contains(next) {
                return true
            }
        }
        return false
    }
}

/// `ADD [--chown=] [--chmod=] [--link] [--keep-git-dir] [--checksum=] [--unpack] [--exclude=]... src... dest`.
public struct AddInstruction: Sendable, Hashable {
    public var node: Node
    public var sources: SourcesAndDestination
    public var chown: String?
    public var chmod: String?
    public var link: Bool
    public var keepGitDir: Bool
    /// Raw `--checksum` (`sha256:<hex>` for HTTP, a commit SHA prefix for git).
    public var checksum: String?
    /// nil when `--unpack` was not given (auto: local archives are extracted, URLs are not).
    public var unpack: Bool?
    public var excludes: [String]

    static let acceptedFlags: [String: FlagKind] = [
        "chown": .string, "chmod": .string, "link": .bool, "keep-git-dir": .bool, "checksum": .string,
        "unpack": .bool, "exclude": .strings,
    ]

    init(_ node: Node) throws(DockerfileError) {
        guard node.args.count >= 2 else { throw InstructionErrors.noDestinationArgument(node) }
        let flags = try FlagParser.parse(node, accepting: AddInstruction.acceptedFlags)
        self.node = node
        self.sources = try SourcesAndDestination(node)
        self.chown = flags.string("chown")
        self.chmod = flags.string("chmod")
        self.link = flags.bool("link") ?? false
        self.keepGitDir = flags.bool("keep-git-dir") ?? false
        self.checksum = flags.string("checksum")
        self.unpack = flags.bool("unpack")
        self.excludes = flags.strings("exclude")
    }
}
