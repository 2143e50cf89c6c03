import LayerArchive

/// The history text of COPY/ADD and the merging of the layers of its parts.
enum CopyHistory {
    /// BuildKit's `dispatchCopy` commit message: the keyword, `--parents` when given, the path
    /// sources, then `<<NAME` for each heredoc source, then the destination. (Docker 20.10's
    /// frontend writes no flags, so --chown/--chmod stay out as in its history.)
    static func text(_ op: CopyOperands, sources: [String], destination: String) -> String {
        var text = op.keyword
        if op.parents { text += " --parents" }
        for source in sources { text += " " + source }
        for content in op.contents { text += " <<" + content.path }
        return text + " " + destination + " # buildkit"
    }

    /// The entries of several copies into one layer, in `LayerDiff` order. A later copy's file
    /// replaces an earlier one's at the same path (BuildKit copies them one after another); a
    /// directory both created keeps the first one's header.
    static func merge(_ parts: [[LayerEntry]]) -> [LayerEntry] {
        guard parts.count > 1 else { return parts.first ?? [] }
        var byPath: [String: LayerEntry] = [:]
        for entries in parts {
            for entry in entries {
                let key = normalized(entry.header.path)
                if let existing = byPath[key], existing.header.type == .directory, entry.header.type == .directory { continue }
                byPath[key] = entry
            }
        }
        return byPath.values.sorted { precedes(components($0.header.path), components($1.header.path)) }
    }

    private static func normalized(_ path: String) -> String {
        path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    private static func components(_ path: String) -> [[UInt8]] {
        normalized(path).split(separator: "/", omittingEmptySubsequences: true).map { Array($0.utf8) }
    }

    /// Depth-first, byte-wise by component: a directory comes right before its content.
    private static func precedes(_ a: [[UInt8]], _ b: [[UInt8]]) -> Bool {
        for (x, y) in zip(a, b) where x != y {
            return x.lexicographicallyPrecedes(y)
        }
        return a.count < b.count
    }
}
