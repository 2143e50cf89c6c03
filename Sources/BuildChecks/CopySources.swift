import DockerfileSyntax

/// A COPY or ADD that takes files from the build context, with its sources.
struct ContextCopy: Sendable {
    var node: Node
    /// The stage the instruction belongs to.
    var stage: Int
    /// Sources as written (heredocs, URLs and git sources left out).
    var sources: [String]
    /// `--exclude` patterns.
    var excludes: [String]

    /// "Copy" or "Add", as BuildKit names the command in `CopyIgnoredFile`.
    var commandName: String { node.keyword == "add" ? "Add" : "Copy" }

    /// The sources that copy the whole context (`.`, `./`, `*`, `/`).
    var wholeContextSources: [String] { sources.filter { ContextPath.isWholeContext($0) } }

    /// The context files this instruction copies.
    func copiedFiles(from files: [String]) -> [String] {
        files.filter { file in
            sources.contains { ContextPath.source($0, covers: file) }
                && !excludes.contains { ContextPath.source($0, covers: file) }
        }
    }
}

extension DockerfileModel {
    /// Every COPY/ADD reading the build context, in source order (ONBUILD triggers not included).
    /// Sources come from the typed instructions (heredocs already separated out) when available.
    var contextCopies: [ContextCopy] {
        stages.flatMap { stage in
            stage.instructions.compactMap { node in contextCopy(node, stage: stage.index) }
        }
    }

    private func contextCopy(_ node: Node, stage: Int) -> ContextCopy? {
        let typed = try? Instruction.parse(node)
        var sources: [String]
        var excludes: [String]
        switch typed {
        case .copy(let copy):
            guard copy.from == nil else { return nil }
            (sources, excludes) = (copy.sources.sourcePaths, copy.excludes)
        case .add(let add):
            (sources, excludes) = (add.sources.sourcePaths, add.excludes)
        default:
            guard ["copy", "add"].contains(node.keyword), node.flagValue("from") == nil, node.args.count >= 2 else { return nil }
            (sources, excludes) = (node.args.dropLast().filter { !$0.hasPrefix("<<") }, node.flagValues("exclude"))
        }
        if node.keyword == "add" { sources.removeAll(where: ContextPath.isRemote) }
        guard !sources.isEmpty else { return nil }
        return ContextCopy(node: node, stage: stage, sources: sources, excludes: excludes)
    }
}

extension Node {
    /// Every value of a repeatable `--name=value` flag, in order.
    func flagValues(_ name: String) -> [String] {
        flags.compactMap { flag in
            let prefix = "--\(name)="
            return flag.lowercased().hasPrefix(prefix) ? String(flag.dropFirst(prefix.count)) : nil
        }
    }
}

/// Context-relative path arithmetic with Docker's COPY semantics.
enum ContextPath {
    /// `./a/../b/` -> `b`; `/`, `.` and `./` -> "" (the context root).
    static func clean(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        return parts.joined(separator: "/")
    }

    static func isWholeContext(_ source: String) -> Bool {
        clean(source).isEmpty || clean(source) == "*"
    }

    /// URLs and git references, which ADD fetches instead of reading the context.
    static func isRemote(_ source: String) -> Bool {
        let lower = source.lowercased()
        return lower.contains("://") || lower.hasPrefix("git@")
    }

    /// Whether copying `source` copies `file`: the source names the file, or a directory above it,
    /// possibly through wildcards (Go `filepath.Match`). Sources with variables match nothing.
    static func source(_ source: String, covers file: String) -> Bool {
        guard !source.contains("$") else { return false }
        let pattern = clean(source)
        if pattern.isEmpty { return true }
        let wildcards = GlobMatch.hasWildcards(pattern)
        var prefix = ""
        for component in file.split(separator: "/") {
            prefix = prefix.isEmpty ? String(component) : prefix + "/" + component
            if wildcards ? GlobMatch.matches(pattern, prefix) : pattern == prefix { return true }
        }
        return false
    }
}
