import DockerfileSyntax
import ShellWords

/// A lint-oriented view of a Dockerfile: global ARGs and stages straight from the syntax tree,
/// keeping every node (with its casing and location) that the rules need.
struct DockerfileModel: Sendable {
    /// `ARG` instructions before the first `FROM`.
    var metaArgs: [Node] = []
    var stages: [LintStage] = []
    var expander: Expander

    init(_ tree: SyntaxTree) {
        expander = Expander(escape: tree.directives.escape)
        for node in tree.nodes {
            if node.keyword == "from" {
                stages.append(LintStage(index: stages.count, from: node))
            } else if stages.isEmpty {
                if node.keyword == "arg" { metaArgs.append(node) }
            } else {
                stages[stages.count - 1].instructions.append(node)
            }
        }
        let defaults = metaArgDefaults
        for i in stages.indices {
            let base = expander.expand(stages[i].baseName, defaults)?.result ?? stages[i].baseName
            stages[i].parent = stages[..<i].lastIndex { $0.name?.lowercased() == base.lowercased() }
        }
    }

    /// Global ARG names with their default values ("" when declared without one).
    var metaArgDefaults: [String: String] {
        var env: [String: String] = [:]
        for node in metaArgs {
            for (name, value) in node.argDeclarations {
                let expanded = value.flatMap { expander.expand($0, env)?.result } ?? value
                env[name] = expanded ?? ""
            }
        }
        return env
    }

    var finalStage: LintStage? { stages.last }

    /// The stage and everything it was built on inside this Dockerfile, nearest first.
    func lineage(of stage: LintStage) -> [LintStage] {
        var out = [stage]
        var current = stage
        while let parent = current.parent, !out.contains(where: { $0.index == parent }) {
            current = stages[parent]
            out.append(current)
        }
        return out
    }
}

/// One `FROM` and the instructions up to the next.
struct LintStage: Sendable {
    var index: Int
    var from: Node
    var instructions: [Node] = []
    /// Index of the earlier stage this one is based on (`FROM builder`), if any.
    var parent: Int?

    /// The base image reference as written.
    var baseName: String { from.args.first ?? "" }
    /// The stage name as written (`FROM x AS Name` -> `Name`).
    var name: String? { from.args.count >= 3 ? from.args[2] : nil }
    /// The `AS` keyword as written.
    var asKeyword: String? { from.args.count >= 3 ? from.args[1] : nil }
    /// The `--platform` flag value as written.
    var platform: String? { from.flagValue("platform") }
    var isScratch: Bool { baseName.lowercased() == "scratch" }
}

extension Node {
    /// The value of `--name=value` (or `true` for a bare `--name`), last one wins.
    func flagValue(_ name: String) -> String? {
        var found: String?
        for flag in flags {
            guard flag.hasPrefix("--") else { continue }
            let body = flag.dropFirst(2)
            if let eq = body.firstIndex(of: "=") {
                if body[..<eq].lowercased() == name { found = String(body[body.index(after: eq)...]) }
            } else if body.lowercased() == name {
                found = "true"
            }
        }
        return found
    }

    /// `ARG a=1 b` -> [("a", "1"), ("b", nil)].
    var argDeclarations: [(name: String, value: String?)] {
        args.map { word in
            if let eq = word.firstIndex(of: "=") {
                return (String(word[..<eq]), String(word[word.index(after: eq)...]))
            }
            return (word, nil)
        }
    }

    /// ENV/LABEL key-value triples as the parser stores them: (key, value, legacy form).
    var keyValuePairs: [(key: String, value: String, legacy: Bool)] {
        stride(from: 0, to: args.count - 1, by: 3).map { i in
            let separator = i + 2 < args.count ? args[i + 2] : ""
            return (args[i], args[i + 1], separator != "=")
        }
    }

    /// The keyword in upper case, as BuildKit names instructions in messages.
    var upperKeyword: String { keyword.uppercased() }
}

/// Variable expansion through the shell-words lexer, with failures turned into nil.
struct Expander: Sendable {
    var lexer: ShellLexer

    init(escape: Character) {
        lexer = ShellLexer(escapeToken: escape)
    }

    /// Expands `word` with `env`; nil when the word cannot be expanded (or the lexer is unavailable).
    func expand(_ word: String, _ env: [String: String]) -> Expansion? {
        try? lexer.processWordWithMatches(word, env: ShellEnvironment(env))
    }

    /// Expands `word` if it mentions a variable; otherwise returns it unchanged.
    func value(of word: String, _ env: [String: String]) -> String? {
        guard word.contains("$") else { return word }
        return expand(word, env)?.result
    }
}
