import DockerfileSyntax

/// Rules about what COPY/ADD take from the build context.
enum ContextRules {
    /// Kiln: COPY/ADD of the whole context while the context has no ignore file.
    static let missingDockerignore = Rule(.kiln("MissingDockerignore", "Copying the whole build context needs a .dockerignore")) { input, info in
        guard let context = input.context, context.ignoreFile == nil else { return [] }
        return input.model.contextCopies.compactMap { copy in
            guard let source = copy.wholeContextSources.first else { return nil }
            return info.finding(
                "\(copy.node.upperKeyword) \(source) copies the whole build context, but there is no .dockerignore",
                at: copy.node.range,
                help: "Create a .dockerignore next to the Dockerfile listing what must stay out of the image "
                    + "(.git/, .env, *.key, *.pem, node_modules/, build output), or copy only the files you need.")
        }
    }

    /// BuildKit's check: a COPY/ADD source excluded by the ignore file. Not judged when the file
    /// has `!` exceptions; the whole-context sources only count when a pattern is `*`, `**` or `**/*`.
    static let copyIgnoredFile = Rule(.buildkit("CopyIgnoredFile", "Attempting to Copy file that is excluded by .dockerignore")) { input, info in
        guard let ignore = input.context?.ignoreFile else { return [] }
        let patterns = ignore.patterns.map { $0.trimmingSpaces() }
        guard !patterns.contains(where: { $0.hasPrefix("!") }) else { return [] }
        let excludesEverything = patterns.contains { ["*", "**", "**/*"].contains($0) }
        var findings: [Finding] = []
        for copy in input.model.contextCopies {
            for source in copy.sources where !source.contains("$") {
                let path = ContextPath.clean(source)
                let excluded = path.isEmpty ? excludesEverything : ignore.excludes(path)
                guard excluded else { continue }
                findings.append(info.finding(
                    "Attempting to \(copy.commandName) file \"\(source)\" that is excluded by \(ignore.name)", at: copy.node.range,
                    help: "Remove the pattern that excludes '\(source)' from \(ignore.name), or stop copying it."))
            }
        }
        return findings
    }
}
