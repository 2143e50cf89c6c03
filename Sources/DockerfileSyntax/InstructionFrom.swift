/// `FROM [--platform=<p>] <image> [AS <name>]`: starts a stage.
public struct FromInstruction: Sendable, Hashable {
    public var node: Node
    /// The image or stage reference as written (expanded later with global ARGs only).
    public var baseName: String
    /// The stage name, lower-cased; nil without `AS`.
    public var stageName: String?
    /// The stage name as written after `AS`.
    public var stageNameAsWritten: String?
    /// The raw `--platform` value; nil when the flag was not given.
    public var platform: String?
    /// The `AS` keyword as written (for the `FromAsCasing` lint); nil without it.
    public var asKeyword: String?
    /// Doc comment: text after `# <stage name> ` directly above the FROM line.
    public var docComment: String

    init(_ node: Node) throws(DockerfileError) {
        let args = node.args
        switch args.count {
        case 3 where args[1].lowercased() == "as":
            let name = args[2].lowercased()
            guard StageName.isValid(name) else {
                throw DockerfileError(
                    "invalid name for build stage: \(GoQuote.quote(args[2])), name can't start with a number or contain symbols",
                    range: FlagLocator.range(of: args[2], in: node))
            }
            stageName = name
            stageNameAsWritten = args[2]
            asKeyword = args[1]
        case 1:
            stageName = nil
        default:
            throw DockerfileError("FROM requires either one or three arguments", range: node.range)
        }
        let flags = try FlagParser.parse(node, accepting: ["platform": .string])
        self.node = node
        self.baseName = args[0]
        self.platform = flags.string("platform")
        self.docComment = DocComment.find(for: stageName ?? "", in: node.comments)
    }
}

/// Stage-name rules: lower-cased names must match `^[a-z][a-z0-9-_.]*$`.
public enum StageName {
    public static func isValid(_ name: String) -> Bool {
        let scalars = Array(name.unicodeScalars)
        guard let first = scalars.first, ("a"..."z").contains(first) else { return false }
        return scalars.dropFirst().allSatisfy {
            ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" || $0 == "."
        }
    }
}
