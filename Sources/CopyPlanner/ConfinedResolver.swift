#if canImport(Glibc)
import Glibc
#endif

/// What a path in a tree is, without following a final symlink.
enum NodeKind: Equatable {
    case missing
    case directory
    case symlink(String)
    case other
}

/// Lexical path handling and symlink resolution confined to a root, as Go's
/// `continuity/fs.RootPath` does for BuildKit: an absolute link target starts again at the
/// root, `..` never climbs above the root, and too many links (255) fail.
enum ConfinedResolver {
    /// The components of `path` cleaned lexically as if it were absolute (`../x` -> `["x"]`).
    static func clean(_ path: String) -> [String] {
        var out: [String] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if !out.isEmpty { out.removeLast() }
                continue
            }
            out.append(String(part))
        }
        return out
    }

    /// Resolves every symlink in `components` (the last one too when `followFinal`), using
    /// `lookup` to inspect paths. Returns the resolved components.
    static func resolve(_ components: [String], followFinal: Bool = true,
                        lookup: ([String]) -> NodeKind) throws -> [String] {
        var resolved: [String] = []
        var pending = components[...]
        var links = 0
        while let name = pending.first {
            pending = pending.dropFirst()
            if name == "." { continue }
            if name == ".." {
                if !resolved.isEmpty { resolved.removeLast() }
                continue
            }
            let candidate = resolved + [name]
            if case .symlink(let target) = lookup(candidate), followFinal || !pending.isEmpty {
                links += 1
                guard links <= 255 else {
                    throw CopyError(.io, "too many levels of symbolic links: /\(candidate.joined(separator: "/"))")
                }
                if target.hasPrefix("/") { resolved = [] }
                let targetParts = target.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
                pending = (targetParts + pending)[...]
                continue
            }
            resolved = candidate
        }
        return resolved
    }

    /// `lstat` of `root/components` as a `NodeKind`.
    static func kind(root: String, _ components: [String]) -> NodeKind {
        let path = join(root, components)
        var info = stat()
        guard lstat(path, &info) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFLNK: return .symlink(readLink(path) ?? "")
        default: return .other
        }
    }

    static func join(_ root: String, _ components: [String]) -> String {
        components.isEmpty ? root : root + "/" + components.joined(separator: "/")
    }

    static func readLink(_ path: String) -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { readlink(path, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count) }
        guard n >= 0 else { return nil }
        return String(decoding: buffer[0..<n], as: UTF8.self)
    }
}
