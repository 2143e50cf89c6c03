/// Paths of layer entries as the audit keys them: relative to the root, `/`-separated, with no
/// `.`/empty components, no leading or trailing `/` (`./usr/bin/` → `usr/bin`).
enum ImagePath {
    static let whiteoutPrefix = ".wh."
    static let opaqueMarker = ".wh..wh..opq"

    /// The cleaned form of a tar entry name; nil for the root itself or a path escaping it.
    static func clean(_ name: String) -> String? {
        var parts: [Substring] = []
        for part in name.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if parts.isEmpty { return nil } else { parts.removeLast() }
            default: parts.append(part)
            }
        }
        return parts.isEmpty ? nil : parts.joined(separator: "/")
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[..<slash])
    }

    static func base(of path: String) -> Substring {
        guard let slash = path.lastIndex(of: "/") else { return Substring(path) }
        return path[path.index(after: slash)...]
    }

    static func join(_ dir: String, _ name: some StringProtocol) -> String {
        dir.isEmpty ? String(name) : dir + "/" + name
    }

    /// `usr/bin` → `/usr/bin`, for display.
    static func absolute(_ path: String) -> String { "/" + path }
}

/// What a layer entry does to the filesystem below it.
enum EntryEffect: Equatable {
    /// Adds or replaces the path.
    case put
    /// `.wh.NAME`: deletes `target` (and everything under it) from lower layers.
    case whiteout(target: String)
    /// `.wh..wh..opq`: hides everything lower layers put under `directory`.
    case opaque(directory: String)

    static func of(_ path: String) -> EntryEffect {
        let base = ImagePath.base(of: path)
        guard base.hasPrefix(ImagePath.whiteoutPrefix) else { return .put }
        let dir = ImagePath.parent(of: path)
        if base == ImagePath.opaqueMarker { return .opaque(directory: dir) }
        return .whiteout(target: ImagePath.join(dir, base.dropFirst(ImagePath.whiteoutPrefix.count)))
    }
}
