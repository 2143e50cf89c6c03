import DockerfileSyntax

/// Kiln: instruction order that makes every source change rerun the dependency install.
enum CacheRules {
    /// A COPY of the whole context (or of a directory holding the installer's manifest) before a
    /// RUN in the same stage that installs packages or dependencies. Reported once per COPY.
    static let cacheBustingCopyOrder = Rule(.kiln("CacheBustingCopyOrder", "Copy dependency manifests and install dependencies before copying the sources")) { input, info in
        let copies = input.model.contextCopies
        let files = input.context?.files
        var findings: [Finding] = []
        var reported: Set<Int> = []
        for stage in input.model.stages {
            let stageCopies = copies.filter { $0.stage == stage.index }
            for node in stage.instructions where node.keyword == "run" {
                let earlier = stageCopies.filter { $0.node.range.start < node.range.start }
                for install in Installs.find(in: ShellText.of(node)) {
                    guard let copy = earlier.first(where: { bustsCache($0, install.ecosystem, files) }),
                          reported.insert(copy.node.range.start.line).inserted else { continue }
                    findings.append(info.finding(
                        "\(instructionText(copy)) comes before RUN \(install.command) (line \(node.range.start.line)): "
                            + "every source change reruns the install",
                        at: copy.node.range, help: help(for: install, copy: copy, files: files)))
                }
            }
        }
        return findings
    }

    /// Whether `copy` brings in files whose change invalidates an install of `ecosystem`.
    static func bustsCache(_ copy: ContextCopy, _ ecosystem: Ecosystem, _ files: [String]?) -> Bool {
        if !copy.wholeContextSources.isEmpty { return true }
        guard let files, ecosystem != .system else { return false }
        return copy.sources.contains { source in
            let path = ContextPath.clean(source)
            guard !GlobMatch.hasWildcards(path) else { return false }
            return files.contains { file in
                let base = file.split(separator: "/").last.map(String.init) ?? file
                return file != path && ecosystem.manifests.contains(base) && ContextPath.source(source, covers: file)
            }
        }
    }

    static func help(for install: InstallCommand, copy: ContextCopy, files: [String]?) -> String {
        let copyText = instructionText(copy)
        guard install.ecosystem != .system else {
            return "Move `RUN \(install.command) …` above `\(copyText)`, so installed packages stay cached when the sources change."
        }
        var manifests = install.ecosystem.manifests.filter { name in files?.contains(name) ?? false }
        if manifests.isEmpty { manifests = Array(install.ecosystem.manifests.prefix(2)) }
        return "Copy the dependency manifests first and install, then copy the rest: "
            + "`COPY \(manifests.joined(separator: " ")) ./`, then `RUN \(install.command) …`, then `\(copyText)`."
    }

    /// `COPY . .`: the keyword and arguments, flags left out.
    static func instructionText(_ copy: ContextCopy) -> String {
        ([copy.node.upperKeyword] + copy.node.args).joined(separator: " ")
    }
}
