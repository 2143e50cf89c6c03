// Owns what a context walk makes of each reported entry: the examined entry (path, kind, lstat),
// and the two records callers get from it — a ContextEntry with its lstat, or the compact stamp a
// context fingerprint needs (path and the lstat identity fields, no link read).
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One entry as the walk examined it: its path (relative, bad UTF-8 replaced), kind and `lstat`.
struct ExaminedEntry {
    var path: String
    var kind: ContextEntry.Kind
    var info: stat
}

/// What a walk hands on for each reported entry, made on the core that examined it.
protocol ContextWalkRecord: Sendable {
    /// `linkTarget` reads a symlink's target (only called for one, and only by records that keep it).
    init(_ entry: ExaminedEntry, linkTarget: () -> String?)
}

/// The identity fields of an entry's `lstat` that tell a changed entry from an unchanged one:
/// device, inode, size, modification and change times (nanoseconds), the whole `st_mode`, owner,
/// group and link count.
public struct ContextStatStamp: Sendable, Equatable {
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

    /// The fields of an `lstat` result (times as LayerArchive's ContentStamp converts them).
    public init(_ info: stat) {
        self.init(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
                  modified: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
                  changed: Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec),
                  mode: UInt32(info.st_mode), uid: UInt32(info.st_uid), gid: UInt32(info.st_gid), links: UInt64(info.st_nlink))
    }
}

/// A reported entry as ``ContextWalker/walk(_:visit:)`` hands it on.
struct EntryWithStat: ContextWalkRecord, @unchecked Sendable {
    var entry: ContextEntry
    var info: stat

    init(_ examined: ExaminedEntry, linkTarget: () -> String?) {
        entry = ContextEntry(path: examined.path, kind: examined.kind, size: Int64(examined.info.st_size),
                             mode: UInt32(examined.info.st_mode) & 0o7777,
                             linkTarget: examined.kind == .symlink ? linkTarget() : nil)
        info = examined.info
    }
}

/// A reported entry as ``ContextWalker/walkStamps(_:visit:)`` hands it on.
struct PathAndStamp: ContextWalkRecord {
    var path: String
    var stamp: ContextStatStamp

    init(_ examined: ExaminedEntry, linkTarget: () -> String?) {
        path = examined.path
        stamp = ContextStatStamp(examined.info)
    }
}
