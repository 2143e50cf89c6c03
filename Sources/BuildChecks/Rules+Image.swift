import DockerfileSyntax

/// Kiln rules about the image that ships: its user, its base image and what it carries.
enum ImageRules {
    /// The final stage (or the stages it builds on) never switches to a non-root USER.
    static let rootUser = Rule(.kiln("RootUser", "The final image should not run as root")) { input, info in
        guard let final = input.model.finalStage else { return [] }
        let lastUser = input.model.lineage(of: final).lazy.compactMap { $0.instructions.last { $0.keyword == "user" } }.first
        guard let lastUser else {
            return [info.finding(
                "The final stage runs as root: no USER instruction", at: final.from.range,
                help: "Create an unprivileged user and switch to it before CMD/ENTRYPOINT, e.g. "
                    + "RUN addgroup -S app && adduser -S -G app app, then USER app (unless the base image already sets one).")]
        }
        let user = lastUser.args.first ?? ""
        guard isRoot(user) else { return [] }
        return [info.finding(
            "The final stage runs as root: USER \(user)", at: lastUser.range,
            help: "Switch to an unprivileged user (USER app, or a numeric UID like USER 10001) for the image's last USER.")]
    }

    /// `root`, `0`, `root:…` or `0:…`.
    static func isRoot(_ user: String) -> Bool {
        let name = user.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? user
        return name == "root" || name == "0"
    }

    /// A base image without a tag or with `:latest` (scratch, stage references and digests are fine).
    static let unpinnedBaseImage = Rule(.kiln("UnpinnedBaseImage", "Base images should be pinned to a version")) { input, info in
        let model = input.model
        let defaults = model.metaArgDefaults
        let stageNames = Set(model.stages.compactMap { $0.name?.lowercased() })
        return model.stages.compactMap { stage in
            guard let base = model.expander.value(of: stage.baseName, defaults), !base.contains("$") else { return nil }
            guard base.lowercased() != "scratch", !stageNames.contains(base.lowercased()) else { return nil }
            guard let reference = ImageReference(base), reference.digest == nil else { return nil }
            guard reference.tag == nil || reference.tag == "latest" else { return nil }
            let problem = reference.tag == nil ? "has no tag (it means :latest)" : "uses the :latest tag"
            return info.finding(
                "Base image '\(base)' \(problem)", at: stage.from.range,
                help: "Pin a version (e.g. \(reference.name):<version>), or a digest (\(reference.name):<version>@sha256:…), so rebuilds get the same base.")
        }
    }

    /// The final image installs (or starts from) a compiler or build toolchain.
    static let buildToolsInFinalImage = Rule(.kiln("BuildToolsInFinalImage", "Compilers and build tools should stay out of the final image")) { input, info in
        guard let final = input.model.finalStage else { return [] }
        var findings: [Finding] = []
        for stage in input.model.lineage(of: final) {
            if let image = BuildTools.toolchainImage(stage.baseName) {
                findings.append(info.finding(
                    "The final image is based on the build toolchain image '\(image)'", at: stage.from.range,
                    help: multistageHelp))
            }
            for node in stage.instructions where node.keyword == "run" {
                let tools = BuildTools.installedTools(in: ShellText.of(node))
                guard !tools.isEmpty else { continue }
                findings.append(info.finding(
                    "The final image ships build tools installed here: \(tools.joined(separator: ", "))", at: node.range,
                    help: multistageHelp))
            }
        }
        return findings
    }

    static let multistageHelp = "Use a multistage build: compile in a first stage (FROM … AS build), then start the final stage "
        + "from a small runtime image and COPY --from=build only the built artifacts."
}
