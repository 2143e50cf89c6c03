import DockerfileSyntax

/// The shell text of a RUN: its command line (shell or exec form) and heredoc bodies.
enum ShellText {
    static func of(_ node: Node) -> String {
        ([node.args.joined(separator: " ")] + node.heredocs.map(\.content)).joined(separator: "\n")
    }

    /// Simple commands as word lists: split at `&&`, `||`, `;`, `|` and newlines, with leading
    /// `VAR=value` assignments, `sudo` and `env` removed. Quotes are not interpreted.
    static func commands(in text: String) -> [[String]] {
        var normalized = text.replacingAll("\\\n", with: " ")
        for separator in ["&&", "||", ";", "|", "(", ")"] { normalized = normalized.replacingAll(separator, with: "\n") }
        return normalized.split(separator: "\n").compactMap { line in
            var words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
            while let first = words.first, first == "sudo" || first == "env" || first == "exec" || isAssignment(first) { words.removeFirst() }
            return words.isEmpty ? nil : words
        }
    }

    private static func isAssignment(_ word: String) -> Bool {
        guard let eq = word.firstIndex(of: "="), eq != word.startIndex else { return false }
        return word[..<eq].allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
    }
}

/// A package or dependency install found in a RUN.
struct InstallCommand: Sendable, Hashable {
    /// The command as a user would name it: `apt-get install`, `npm ci`, `pip install`.
    var command: String
    var ecosystem: Ecosystem
    /// Package arguments (flags removed, versions kept).
    var packages: [String]
}

/// Dependency managers and the manifest files they read.
enum Ecosystem: String, Sendable, CaseIterable {
    case system, node, python, go, rust, ruby, php, maven, gradle

    /// Manifest files to copy before installing, most important first.
    var manifests: [String] {
        switch self {
        case .system: return []
        case .node: return ["package.json", "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml"]
        case .python: return ["requirements.txt", "pyproject.toml", "poetry.lock", "Pipfile", "Pipfile.lock", "uv.lock", "setup.py"]
        case .go: return ["go.mod", "go.sum"]
        case .rust: return ["Cargo.toml", "Cargo.lock"]
        case .ruby: return ["Gemfile", "Gemfile.lock"]
        case .php: return ["composer.json", "composer.lock"]
        case .maven: return ["pom.xml"]
        case .gradle: return ["build.gradle", "build.gradle.kts", "settings.gradle", "settings.gradle.kts", "gradle.properties"]
        }
    }
}

enum Installs {
    /// Every install command in a shell text, in order.
    static func find(in text: String) -> [InstallCommand] {
        ShellText.commands(in: text).compactMap(recognize)
    }

    /// (tool names, subcommands that install; empty = any subcommand, nil entry = bare tool allowed)
    private static let table: [(tools: [String], verbs: [String], bare: Bool, ecosystem: Ecosystem)] = [
        (["apt-get", "apt", "aptitude"], ["install"], false, .system),
        (["apk"], ["add"], false, .system),
        (["yum", "dnf", "microdnf", "tdnf"], ["install"], false, .system),
        (["zypper"], ["install", "in"], false, .system),
        (["npm"], ["ci", "install", "i"], false, .node),
        (["yarn"], ["install"], true, .node),
        (["pnpm"], ["install", "i"], false, .node),
        (["pip", "pip3", "pipenv", "poetry"], ["install"], false, .python),
        (["uv"], ["sync"], false, .python),
        (["cargo"], ["build", "fetch"], false, .rust),
        (["bundle", "bundler"], ["install"], false, .ruby),
        (["composer"], ["install"], false, .php),
        (["mvn", "./mvnw"], [], true, .maven),
        (["gradle", "./gradlew"], [], true, .gradle),
    ]

    private static func recognize(_ words: [String]) -> InstallCommand? {
        var words = words
        if words.count >= 3, words[0].hasPrefix("python"), words[1] == "-m" { words.removeFirst(2) }
        guard let tool = words.first else { return nil }
        let rest = Array(words.dropFirst())
        if tool == "go" {
            return rest.starts(with: ["mod", "download"]) ? InstallCommand(command: "go mod download", ecosystem: .go, packages: []) : nil
        }
        let toolName = tool.split(separator: "/").last.map(String.init) ?? tool
        guard let entry = table.first(where: { $0.tools.contains(tool) || $0.tools.contains(toolName) }) else { return nil }
        let operands = rest.filter { !$0.hasPrefix("-") }
        if entry.verbs.isEmpty { return InstallCommand(command: tool, ecosystem: entry.ecosystem, packages: []) }
        guard let verbIndex = operands.firstIndex(where: { entry.verbs.contains($0) }) else {
            return entry.bare && operands.isEmpty ? InstallCommand(command: tool, ecosystem: entry.ecosystem, packages: []) : nil
        }
        // The verb must be the subcommand, not a package called "install" further on.
        guard verbIndex == 0 || entry.ecosystem == .system else { return nil }
        let verb = operands[verbIndex]
        return InstallCommand(command: "\(tool) \(verb)", ecosystem: entry.ecosystem, packages: Array(operands[(verbIndex + 1)...]))
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
