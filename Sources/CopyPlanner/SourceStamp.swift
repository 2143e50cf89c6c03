import ContextFilter

/// The `lstat` identity of one build-context path as the context scan saw it (device, inode, size,
/// mtime and ctime in nanoseconds, type and mode bits, owner, link count) — the context walk's own
/// stamp: equal stamps mean the scan saw no change, unless the change fell in the same filesystem
/// clock tick (see ``IncrementalCopyPlanner``'s racy rule).
public typealias SourceStamp = ContextStatStamp

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
