import ConfinedFS
#if canImport(Glibc)
import Glibc
#endif

/// The directory a layer is applied to, as ConfinedFS's `ConfinedRoot` (`.inRoot`: absolute names and
/// symlinks resolve inside it, as in a chroot; names longer than PATH_MAX too), with its failures as
/// LayerArchiveErrors.
enum LayerTarget {
    static func open(_ path: String) throws -> ConfinedRoot {
        do {
            return try ConfinedRoot(path)
        } catch let error as ConfinedFSError {
            throw LayerArchiveError.system("open target directory", entry: path, code: error.errno)
        }
    }
}

extension ConfinedRoot {
    /// The directory the cleaned archive components name, symlinks on the way followed inside the
    /// root, as an `O_PATH` descriptor. Missing directories are created (mode 0755) when `create`
    /// is set (a dangling symlink's target too); otherwise a missing one gives nil. A component that
    /// is not a directory, or a symlink loop, is an `.unsafeEntry`.
    func layerDirectory(_ components: [String], create: Bool, entry: String) throws -> ConfinedFD? {
        let path = "/" + components.joined(separator: "/")
        do {
            if create { return try mkdirAll(path, mode: 0o755) }
            return try openIfPresent(path, flags: O_PATH | O_DIRECTORY)
        } catch let error as ConfinedFSError {
            switch error.errno {
            case ENOTDIR: throw LayerArchiveError(.unsafeEntry, "a component of the path is not a directory", entry: entry)
            case ELOOP: throw LayerArchiveError(.unsafeEntry, "too many levels of symbolic links", entry: entry)
            default: throw LayerArchiveError.system("open directory \(path)", entry: entry, code: error.errno)
            }
        }
    }
}
