import ConfinedFS
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
///
/// The resolution itself runs over a lookup function, because COPY plans a layer over a tree:
/// the entries planned so far hide what the destination root holds. Every look at a real tree
/// (`kind`, `readLink`) goes through `ConfinedFS.ConfinedRoot`, never a joined path.
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

    /// `lstat` of `components` in `root` as a `NodeKind` (looked up inside the root).
    static func kind(root: String, _ components: [String]) -> NodeKind {
        guard let confined = try? ConfinedRoot(root) else { return .missing }
        let path = "/" + components.joined(separator: "/")
        guard let info = (try? confined.lstat(path)) ?? nil else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFLNK: return .symlink((try? confined.readlink(path)) ?? "")
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
