#if canImport(Glibc)
import Glibc
#endif

/// The identity of a file whose content was read into a layer: device, inode, size, and the
/// modification and change times in nanoseconds, as `fstat` gave them on the descriptor the
/// content was read from. Any write to the file changes its ctime, so while the stamp stays the
/// same, so does the content (the rule the context's checksum cache and plan memo rely on too).
/// ``LayerDiff/write(_:to:clampingTimesTo:stamps:)`` gives one per regular entry, only when the
/// stamp taken before reading equals the one taken after (the file did not change while read).
public struct ContentStamp: Sendable, Hashable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    public var modified: Int64
    public var changed: Int64

    public init(device: UInt64, inode: UInt64, size: Int64, modified: Int64, changed: Int64) {
        self.device = device
        self.inode = inode
        self.size = size
        self.modified = modified
        self.changed = changed
    }

    /// The stamp in a `stat` result.
    public init(_ info: stat) {
        self.init(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
                  modified: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
                  changed: Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec))
    }

    /// The stamp of the open file `fd`, or nil when `fstat` fails.
    public static func of(fd: Int32) -> ContentStamp? {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        return ContentStamp(info)
    }
}

/// Regular entries of a layer that already exist, with their content and metadata, in another
/// folder on the target's filesystem — a read-only snapshot of an earlier build of the same step —
/// so the apply may hard-link them from there instead of writing them
/// (``LayerApplyOptions/linkableContent``). `paths` are entry paths as in the archive (no leading
/// `/`); each names the same path under `root`, reached without following symlinks. The caller
/// vouches for the content (by ``ContentStamp``); the apply checks type, size, mode, owner and
/// modification time of the linked inode and writes the entry as usual when any differs or the
/// link cannot be made. Sharing inodes is safe because snapshots are never written after they are
/// committed (overlayfs copies a lower file up before changing it), and deleting one name leaves
/// the others.
public struct LinkableContent: Sendable, Equatable {
    public var root: String
    public var paths: Set<String>

    public init(root: String, paths: Set<String>) {
        self.root = root
        self.paths = paths
    }
}
