import DockerfileSyntax

/// What a rule is called, what it is about and where it is documented.
public struct RuleInfo: Sendable, Hashable {
    /// The name used in findings and in `# check=skip=`.
    public var name: String
    /// One line on what the rule wants.
    public var description: String
    public var url: String?
    /// Experimental rules only run when enabled with `# check=experimental=`.
    public var experimental: Bool
    /// Rules from the tutorial kiln was started from, not from BuildKit.
    public var kilnOnly: Bool

    public init(name: String, description: String, url: String? = nil, experimental: Bool = false, kilnOnly: Bool = false) {
        self.name = name
        self.description = description
        self.url = url
        self.experimental = experimental
        self.kilnOnly = kilnOnly
    }

    /// A BuildKit rule, documented at `docs.docker.com/go/dockerfile/rule/<kebab-case-name>/`.
    static func buildkit(_ name: String, _ description: String, experimental: Bool = false, documented: Bool = true) -> RuleInfo {
        RuleInfo(
            name: name, description: description,
            url: documented ? "https://docs.docker.com/go/dockerfile/rule/\(kebabCase(name))/" : nil,
            experimental: experimental
        )
    }

    /// A kiln rule (no external documentation page).
    static func kiln(_ name: String, _ description: String) -> RuleInfo {
        RuleInfo(name: name, description: description, kilnOnly: true)
    }

    /// `JSONArgsRecommended` -> `json-args-recommended`.
    static func kebabCase(_ name: String) -> String {
        let chars = Array(name)
        var out = ""
        for (i, c) in chars.enumerated() {
            if c.isUppercase, i > 0 {
                let prevLower = chars[i - 1].isLowercase
                let nextLower = i + 1 < chars.count && chars[i + 1].isLowercase
                if prevLower || (chars[i - 1].isUppercase && nextLower) { out.append("-") }
            }
            out.append(contentsOf: c.lowercased())
        }
        return out
    }

    /// A finding of this rule with its documentation URL.
    func finding(_ message: String, at range: SourceRange?, help: String? = nil) -> Finding {
        Finding(rule: name, message: message, range: range, help: help, url: url)
    }
}
