import DockerfileSyntax

/// Rules about single instructions: command form, deprecated and legacy syntax, WORKDIR, EXPOSE.
enum InstructionRules {
    /// Shell-form CMD/ENTRYPOINT, unless the stage (or a stage it builds on) set a SHELL before it.
    static let jsonArgsRecommended = Rule(.buildkit("JSONArgsRecommended", "JSON arguments recommended for ENTRYPOINT/CMD to prevent unintended behavior related to OS signals")) { input, info in
        var findings: [Finding] = []
        for stage in input.model.stages {
            var shellSet = input.model.lineage(of: stage).dropFirst().contains { $0.instructions.contains { $0.keyword == "shell" } }
            for node in stage.instructions {
                if node.keyword == "shell" { shellSet = true }
                guard ["cmd", "entrypoint"].contains(node.keyword), !node.isJSON, !shellSet else { continue }
                findings.append(info.finding(
                    "JSON arguments recommended for \(node.upperKeyword) to prevent unintended behavior related to OS signals",
                    at: node.range, help: execFormHelp(node)))
            }
        }
        return findings
    }

    /// Suggests the exec form, spelled out when the command is a plain word list.
    private static func execFormHelp(_ node: Node) -> String {
        let command = node.args.first ?? ""
        let suffix = "so the process runs as PID 1 and receives signals (docker stop); or set SHELL explicitly."
        guard !command.contains(where: { "&|;<>$`'\"\\(){}*?".contains($0) }) else {
            return "Use the exec form, \(node.upperKeyword) [\"executable\", \"arg\"], moving shell logic into a script, " + suffix
        }
        let words = command.split(separator: " ").map { "\"\($0)\"" }.joined(separator: ", ")
        return "Use the exec form, \(node.upperKeyword) [\(words)], " + suffix
    }

    static let maintainerDeprecated = Rule(.buildkit("MaintainerDeprecated", "The MAINTAINER instruction is deprecated, use a label instead to define an image author")) { input, info in
        input.model.stages.flatMap(\.instructions).filter { $0.keyword == "maintainer" }.map { node in
            info.finding(
                "Maintainer instruction is deprecated in favor of using label", at: node.range,
                help: "Use LABEL org.opencontainers.image.authors=\"\(node.args.joined(separator: " "))\" instead.")
        }
    }

    /// The first WORKDIR of a chain of stages based on an image, when it is relative.
    static let workdirRelativePath = Rule(.buildkit("WorkdirRelativePath", "Relative workdir without an absolute workdir declared within the build can have unexpected results if the base image changes")) { input, info in
        var findings: [Finding] = []
        for stage in input.model.stages {
            let inherited = input.model.lineage(of: stage).dropFirst().contains { $0.instructions.contains { $0.keyword == "workdir" } }
            guard !inherited, let first = stage.instructions.first(where: { $0.keyword == "workdir" }) else { continue }
            // The path as the build sees it: quotes removed (`WORKDIR "/usr/app"` is absolute).
            var path = first.args.first ?? ""
            if path.count >= 2, let q = path.first, q == "\"" || q == "'", path.last == q { path = String(path.dropFirst().dropLast()) }
            guard !path.hasPrefix("/"), !path.hasPrefix("$") else { continue }
            findings.append(info.finding(
                "Relative workdir \"\(path)\" can have unexpected results if the base image changes", at: first.range,
                help: "Use an absolute path, e.g. WORKDIR /\(path.hasPrefix("./") ? String(path.dropFirst(2)) : path)."))
        }
        return findings
    }

    /// `ENV key value` / `LABEL key value` without `=`.
    static let legacyKeyValueFormat = Rule(.buildkit("LegacyKeyValueFormat", "Legacy key/value format with whitespace separator should not be used")) { input, info in
        input.model.allNodes.filter { ["env", "label"].contains($0.keyword) && $0.keyValuePairs.contains { $0.legacy } }.map { node in
            let k = node.upperKeyword
            let pair = node.keyValuePairs.first { $0.legacy }!
            return info.finding(
                "\"\(k) key=value\" should be used instead of legacy \"\(k) key value\" format", at: node.range,
                help: "Write \(k) \(pair.key)=\(quotedIfNeeded(pair.value)).")
        }
    }

    static let exposeProtoCasing = Rule(.buildkit("ExposeProtoCasing", "Protocol in EXPOSE instruction should be lowercase")) { input, info in
        exposedPorts(input).compactMap { node, port in
            guard !port.contains("$"), let slash = port.firstIndex(of: "/") else { return nil }
            let proto = port[port.index(after: slash)...]
            guard proto != proto.lowercased() else { return nil }
            return info.finding(
                "Defined protocol '\(port)' in EXPOSE instruction should be lowercase", at: node.range,
                help: "Write \(port[..<slash])/\(proto.lowercased()).")
        }
    }

    static let exposeInvalidFormat = Rule(.buildkit("ExposeInvalidFormat", "IP address and host-port mapping should not be used in EXPOSE instruction. This will become an error in a future release")) { input, info in
        exposedPorts(input).compactMap { node, port in
            guard port.contains(":") else { return nil }
            return info.finding(
                "EXPOSE instruction should not define an IP address or host-port mapping, found '\(port)'", at: node.range,
                help: "EXPOSE only documents the container port; publish it with `-p host:container` at run time.")
        }
    }

    private static func exposedPorts(_ input: CheckInput) -> [(Node, String)] {
        input.model.allNodes.filter { $0.keyword == "expose" }.flatMap { node in node.args.map { (node, $0) } }
    }

    private static func quotedIfNeeded(_ value: String) -> String {
        value.contains(" ") && !value.hasPrefix("\"") ? "\"\(value)\"" : value
    }
}

extension DockerfileModel {
    /// Global ARGs and every stage's instructions (FROMs included), in source order.
    var allNodes: [Node] {
        (metaArgs + stages.flatMap { [$0.from] + $0.instructions }).sorted { $0.range.start < $1.range.start }
    }
}
