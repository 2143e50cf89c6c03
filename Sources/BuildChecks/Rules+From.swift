import DockerfileSyntax

/// Rules about `FROM`: its variables, default ARG values and `--platform`.
enum FromRules {
    /// ARGs BuildKit defines for `FROM` without a declaration, with stand-in values for checking.
    static let automaticArgs: [String: String] = [
        "BUILDPLATFORM": "linux/amd64", "BUILDOS": "linux", "BUILDARCH": "amd64", "BUILDVARIANT": "",
        "BUILDOSVERSION": "",
        "TARGETPLATFORM": "linux/amd64", "TARGETOS": "linux", "TARGETARCH": "amd64", "TARGETVARIANT": "",
        "TARGETOSVERSION": "", "TARGETSTAGE": "",
    ]

    /// Variables in the image or `--platform` of a FROM that no global ARG declares.
    static let undefinedArgInFrom = Rule(.buildkit("UndefinedArgInFrom", "FROM command must use declared ARGs")) { input, info in
        let model = input.model
        let env = automaticArgs.merging(model.metaArgDefaults) { _, declared in declared }
        var findings: [Finding] = []
        for stage in model.stages {
            let words = [stage.baseName] + (stage.platform.map { [$0] } ?? [])
            var reported: Set<String> = []
            for word in words where word.contains("$") {
                guard let expansion = model.expander.expand(word, env) else { continue }
                for name in expansion.matched.union(expansion.unmatched).sorted() where env[name] == nil {
                    guard reported.insert(name).inserted else { continue }
                    var message = "FROM argument '\(name)' is not declared"
                    let suggestion = Suggestion.closest(to: name, in: env.keys.sorted(), caseSensitive: true)
                    if let suggestion { message += " (did you mean \(suggestion)?)" }
                    findings.append(info.finding(
                        message, at: stage.from.range,
                        help: "Declare it before the first FROM: ARG \(suggestion == nil ? name : "\(name) (or use \(suggestion!))")."))
                }
            }
        }
        return findings
    }

    /// A FROM whose image, with only the global ARG defaults, is empty or not a valid reference.
    static let invalidDefaultArgInFrom = Rule(.buildkit("InvalidDefaultArgInFrom", "Default value for global ARG results in an empty or invalid base image name")) { input, info in
        let model = input.model
        let env = automaticArgs.merging(model.metaArgDefaults) { _, declared in declared }
        let stageNames = Set(model.stages.compactMap { $0.name?.lowercased() })
        return model.stages.compactMap { stage in
            guard stage.baseName.contains("$"), let value = model.expander.expand(stage.baseName, env)?.result else { return nil }
            guard value.isEmpty || (ImageReference(value) == nil && !stageNames.contains(value.lowercased())) else { return nil }
            return info.finding(
                "Default value for ARG \(stage.baseName) results in empty or invalid base image name", at: stage.from.range,
                help: "Give the global ARG a default that names a valid image, e.g. ARG NAME=alpine:3.20.")
        }
    }

    static let redundantTargetPlatform = Rule(.buildkit("RedundantTargetPlatform", "Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior")) { input, info in
        input.model.stages.compactMap { stage in
            guard let platform = stage.platform, ["$TARGETPLATFORM", "${TARGETPLATFORM}"].contains(platform) else { return nil }
            return info.finding(
                "Setting platform to predefined \(platform) in FROM is redundant as this is the default behavior",
                at: stage.from.range, help: "Remove --platform=\(platform).")
        }
    }

    /// A constant `--platform`, unless the stage name mentions its OS or architecture.
    static let fromPlatformFlagConstDisallowed = Rule(.buildkit("FromPlatformFlagConstDisallowed", "FROM --platform flag should not use a constant value")) { input, info in
        input.model.stages.compactMap { stage in
            guard let platform = stage.platform, !platform.contains("$") else { return nil }
            let parts = platform.lowercased().split(separator: "/").map(String.init)
            if let name = stage.name?.lowercased(), parts.prefix(2).contains(where: { name.contains($0) }) { return nil }
            return info.finding(
                "FROM --platform flag should not use constant value \"\(platform)\"", at: stage.from.range,
                help: "Use --platform=$BUILDPLATFORM (or $TARGETPLATFORM), or choose the platform at build time with --platform.")
        }
    }

    /// Needs the resolved base image: reported only for what the caller put in `basePlatforms`.
    static let invalidBaseImagePlatform = Rule(.buildkit("InvalidBaseImagePlatform", "Base image platform does not match expected target platform", documented: false)) { input, info in
        input.basePlatforms.filter { $0.expected != $0.actual }.compactMap { base in
            guard input.model.stages.indices.contains(base.stage) else { return nil }
            return info.finding(
                "Base image \(base.image) was pulled with platform \"\(base.actual)\", expected \"\(base.expected)\" for current build",
                at: input.model.stages[base.stage].from.range,
                help: "Use an image (or a --platform) that provides \(base.expected).")
        }
    }
}
