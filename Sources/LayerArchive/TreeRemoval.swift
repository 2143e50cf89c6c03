#if canImport(Glibc)
import Glibc
#endif

/// `rm -rf` for trees an archive made: every removal is relative to its parent directory's
/// descriptor, so a tree whose paths are longer than PATH_MAX (an archive's deep names, unpacked
/// by ADD into a build's scratch folder) goes away as completely as a short one; symlinks are
/// removed, never followed.
public enum TreeRemoval {
    /// Removes `path` and everything below it; a missing `path` is not an error.
    public static func remove(_ path: String) throws {
        try DirectoryOps.removeTree(AT_FDCWD, path, entry: path)
    }
}
