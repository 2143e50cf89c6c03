#if canImport(Glibc)
import Glibc
#endif
import ContextFilter
import LayerArchive

/// The `lstat` identity of one build-context path as the context scan saw it (device, inode, size,
/// mtime and ctime in nanoseconds, type and mode bits, owner, link count): equal stamps mean the scan
/// saw no change, unless the change fell in the same filesystem clock tick (see
/// ``IncrementalCopyPlanner``'s racy rule).
public struct SourceStamp: Sendable, Equatable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    public var modified: Int64
    public var changed: Int64
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var links: UInt64

    public init(device: UInt64, inode: UInt64, size: Int64, modified: Int64, changed: Int64,
                mode: UInt32, uid: UInt32, gid: UInt32, links: UInt64) {
        self.device = device
        self.inode = inode
        self.size = size
        self.modified = modified
        self.changed = changed
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.links = links
    }

    /// The stamp in a `stat` result (its content identity as ``ContentStamp`` reads it).
    public init(_ info: stat) {
        let content = ContentStamp(info)
        self.init(device: content.device, inode: content.inode, size: content.size, modified: content.modified,
                  changed: content.changed, mode: UInt32(info.st_mode), uid: UInt32(info.st_uid), gid: UInt32(info.st_gid),
                  links: UInt64(info.st_nlink))
    }

    /// The stamp in a context walk's ``ContextStatStamp`` (the same fields, converted the same way
    /// as from the `stat` it was made from).
    public init(_ walked: ContextStatStamp) {
        self.init(device: walked.device, inode: walked.inode, size: walked.size, modified: walked.modified,
                  changed: walked.changed, mode: walked.mode, uid: walked.uid, gid: walked.gid, links: walked.links)
    }
}

/// The build context as one scan listed it: the paths `.dockerignore` lets through (relative,
/// slash-separated, in the walk's depth-first byte-wise order), each with its stamp, and when the
/// scan started (realtime clock, nanoseconds).
public struct ContextListing: Sendable {
    public var paths: [String]
    public var stamps: [SourceStamp]
    public var scanStarted: Int64

    public init(paths: [String], stamps: [SourceStamp], scanStarted: Int64) {
        self.paths = paths
        self.stamps = stamps
        self.scanStarted = scanStarted
    }
}
