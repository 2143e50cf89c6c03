import DockerfileSyntax

/// Rules about stages as a whole: names, repeated instructions, description comments.
enum StageRules {
    /// The second and later stages reusing a name (names compare case-insensitively).
    static let duplicateStageName = Rule(.buildkit("DuplicateStageName", "Stage names should be unique")) { input, info in
        var seen: Set<String> = []
        return input.model.stages.compactMap { stage in
            guard let name = stage.name?.lowercased() else { return nil }
            guard !seen.insert(name).inserted else { return nil }
            return info.finding(
                "Duplicate stage name \"\(name)\", stage names should be unique", at: stage.from.range,
                help: "Give each stage its own name; later references to '\(name)' are ambiguous.")
        }
    }

    static let reservedStageName = Rule(.buildkit("ReservedStageName", "Reserved words should not be used as stage names")) { input, info in
        input.model.stages.compactMap { stage in
            guard let name = stage.name?.lowercased(), ["scratch", "context"].contains(name) else { return nil }
            return info.finding(
                "Stage name should not use the same name as reserved stage \"\(name)\"", at: stage.from.range,
                help: "Pick another name: '\(name)' already means something in FROM and COPY --from.")
        }
    }

    /// Every CMD, ENTRYPOINT or HEALTHCHECK of a stage except the last of its kind.
    static let multipleInstructionsDisallowed = Rule(.buildkit("MultipleInstructionsDisallowed", "Multiple instructions of the same type should not be used in the same stage")) { input, info in
        var findings: [Finding] = []
        for stage in input.model.stages {
            for keyword in ["cmd", "entrypoint", "healthcheck"] {
                let nodes = stage.instructions.filter { $0.keyword == keyword }
                for node in nodes.dropLast() {
                    findings.append(info.finding(
                        "Multiple \(node.upperKeyword) instructions should not be used in the same stage because only the last one will be used",
                        at: node.range, help: "Remove this \(node.upperKeyword); only the last one in the stage takes effect."))
                }
            }
        }
        return findings
    }

    /// Experimental: the comment block directly above `FROM … AS name` or a single-name `ARG name`
    /// must start with that name.
    static let invalidDefinitionDescription = Rule(.buildkit(
        "InvalidDefinitionDescription",
        "Comment for build stage or argument should follow the format: `# <arg/stage name> <description>`. If this is not intended to be a description comment, add an empty line or comment between the instruction and the comment.",
        experimental: true)
    ) { input, info in
        var definitions: [(node: Node, kind: String, name: String)] = []
        for stage in input.model.stages {
            if let name = stage.name { definitions.append((stage.from, "build stage", name)) }
        }
        let argNodes = input.model.metaArgs + input.model.stages.flatMap { $0.instructions.filter { $0.keyword == "arg" } }
        for node in argNodes where node.args.count == 1 {
            if let name = node.argDeclarations.first?.name { definitions.append((node, "build argument", name)) }
        }
        return definitions.compactMap { def in
            guard let first = def.node.comments.first else { return nil }
            let word = first.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
            guard word != def.name else { return nil }
            return info.finding(
                "Comment for \(def.kind) should follow the format: `# \(def.name) <description>`", at: def.node.range,
                help: "Start the comment with '\(def.name)', or separate it from the instruction with an empty line.")
        }
    }
}
