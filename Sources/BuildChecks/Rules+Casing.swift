import DockerfileSyntax

/// Casing and layout rules: stage names, `FROM … AS`, keyword casing, empty continuation lines.
enum CasingRules {
    static let stageNameCasing = Rule(.buildkit("StageNameCasing", "Stage names should be lowercase")) { input, info in
        input.model.stages.compactMap { stage in
            guard let name = stage.name, name != name.lowercased() else { return nil }
            return info.finding(
                "Stage name '\(name)' should be lowercase", at: stage.from.range,
                help: "Rename the stage to '\(name.lowercased())'.")
        }
    }

    /// `FROM` in upper case wants `AS`, in lower case `as`; mixed-case `From` is not judged.
    static let fromAsCasing = Rule(.buildkit("FromAsCasing", "The 'as' keyword should match the case of the 'from' keyword")) { input, info in
        input.model.stages.compactMap { stage in
            guard let asWord = stage.asKeyword else { return nil }
            let from = stage.from.keywordAsWritten
            let mismatch = (from == from.uppercased() && asWord != asWord.uppercased())
                || (from == from.lowercased() && asWord != asWord.lowercased())
            guard mismatch else { return nil }
            return info.finding(
                "'\(asWord)' and '\(from)' keywords' casing do not match", at: stage.from.range,
                help: "Write '\(from == from.uppercased() ? "AS" : "as")' to match '\(from)'.")
        }
    }

    /// Reported by the parser; the linter only forwards its warnings.
    static let noEmptyContinuation = Rule(.buildkit("NoEmptyContinuation", "Empty continuation lines will become errors in a future release")) { input, info in
        input.tree.warnings.filter { $0.rule == "NoEmptyContinuation" }.map { warning in
            info.finding(
                "Empty continuation line", at: warning.range,
                help: "Remove the empty line, or end the instruction before it.")
        }
    }

    /// Keywords whose casing is not the file's majority (ties count as upper case); mixed-case
    /// keywords like `Run` always differ.
    static let consistentInstructionCasing = Rule(.buildkit("ConsistentInstructionCasing", "All commands within the Dockerfile should use the same casing (either upper or lower)")) { input, info in
        let nodes = input.tree.nodes
        let lower = nodes.filter { $0.keywordAsWritten == $0.keywordAsWritten.lowercased() && $0.keywordAsWritten != $0.keywordAsWritten.uppercased() }.count
        let upper = nodes.filter { $0.keywordAsWritten == $0.keywordAsWritten.uppercased() && $0.keywordAsWritten != $0.keywordAsWritten.lowercased() }.count
        let majorityLower = lower > upper
        return nodes.compactMap { node in
            let word = node.keywordAsWritten
            let expected = majorityLower ? word.lowercased() : word.uppercased()
            guard word != expected else { return nil }
            return info.finding(
                "Command '\(word)' should match the case of the command majority (\(majorityLower ? "lowercase" : "uppercase"))",
                at: node.range, help: "Write '\(expected)'.")
        }
    }
}
