import DockerfileSyntax

/// `UndefinedVar`: variables used by an instruction that BuildKit expands, with no ARG or ENV
/// defining them at that point.
///
/// What counts as defined in a stage: ENVs of the stages it builds on, ARGs and ENVs declared
/// earlier in the stage, and `PATH` (BuildKit always sets one). The environment of an external
/// base image is unknown without pulling it, so other image-provided variables are reported too.
enum VariableRules {
    /// Instructions whose arguments BuildKit expands (RUN, CMD and ENTRYPOINT are left to the shell).
    static let expandedKeywords: Set<String> = ["env", "arg", "label", "copy", "add", "workdir", "user", "stopsignal", "volume", "expose"]

    static let undefinedVar = Rule(.buildkit("UndefinedVar", "Variables should be defined before their use")) { input, info in
        let model = input.model
        var findings: [Finding] = []
        for stage in model.stages {
            var defined = inheritedEnv(model, stage)
            let metaDefaults = model.metaArgDefaults
            for node in stage.instructions where expandedKeywords.contains(node.keyword) {
                var reported: Set<String> = []
                for word in expandedWords(node) where word.contains("$") {
                    guard let expansion = model.expander.expand(word, defined) else { continue }
                    for name in expansion.unmatched.sorted() where defined[name] == nil && reported.insert(name).inserted {
                        findings.append(undefinedFinding(info, name, defined.keys, node))
                    }
                }
                define(node, in: &defined, metaDefaults: metaDefaults, model.expander)
            }
        }
        return findings
    }

    private static func undefinedFinding(_ info: RuleInfo, _ name: String, _ known: some Collection<String>, _ node: Node) -> Finding {
        var message = "Usage of undefined variable '$\(name)'"
        let suggestion = Suggestion.closest(to: name, in: known.sorted(), caseSensitive: true)
        if let suggestion { message += " (did you mean $\(suggestion)?)" }
        let help = suggestion.map { "Did you mean $\($0)? Otherwise declare it first with ARG \(name) or ENV \(name)=…." }
            ?? "Declare it first with ARG \(name) (build-time) or ENV \(name)=… (also at run time)."
        return info.finding(message, at: node.range, help: help)
    }

    /// The words of `node` that BuildKit expands.
    static func expandedWords(_ node: Node) -> [String] {
        switch node.keyword {
        case "env": return node.keyValuePairs.map(\.value)
        case "label": return node.keyValuePairs.flatMap { [$0.key, $0.value] }
        case "arg": return node.argDeclarations.compactMap(\.value)
        case "copy", "add":
            let flags = ["chown", "chmod"].compactMap { node.flagValue($0) }
            return flags + node.args.filter { !$0.hasPrefix("<<") }
        default: return node.args
        }
    }

    /// Adds what an ARG or ENV defines.
    static func define(_ node: Node, in env: inout [String: String], metaDefaults: [String: String], _ expander: Expander) {
        switch node.keyword {
        case "env":
            for pair in node.keyValuePairs {
                env[pair.key] = expander.expand(pair.value, env)?.result ?? pair.value
            }
        case "arg":
            for (name, value) in node.argDeclarations {
                if let value {
                    env[name] = expander.expand(value, env)?.result ?? value
                } else if env[name] == nil {
                    env[name] = metaDefaults[name] ?? ""
                }
            }
        default: break
        }
    }

    /// ENV set by the stages this one builds on, plus PATH.
    static func inheritedEnv(_ model: DockerfileModel, _ stage: LintStage) -> [String: String] {
        var env = ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
        for ancestor in model.lineage(of: stage).dropFirst().reversed() {
            for node in ancestor.instructions where node.keyword == "env" {
                for pair in node.keyValuePairs { env[pair.key] = model.expander.expand(pair.value, env)?.result ?? pair.value }
            }
        }
        return env
    }
}
