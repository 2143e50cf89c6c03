import CZlib
#if canImport(Glibc)
import Glibc
#endif

/// One entry of a layer about to be written: its header, and for regular files the file on
/// disk its content is streamed from.
public struct LayerEntry: Sendable, Equatable {
    public var header: TarHeader
    public var contentPath: String?

    public init(header: TarHeader, contentPath: String? = nil) {
        self.header = header
        self.contentPath = contentPath
    }
}

/// How `LayerDiff` turns files into tar headers.
public struct LayerDiffOptions: Sendable, Equatable {
    public enum XattrPolicy: Sendable, Equatable {
        /// Only `security.capability`, as Docker and BuildKit record.
        case capabilitiesOnly
        /// Every xattr except overlayfs' own (`trusted.overlay.*`, `user.overlay.*`, `user.fuseoverlayfs.*`).
        case all
        case none
    }

    public var xattrs: XattrPolicy
    /// Drop fractions of seconds from times (as Docker and BuildKit do).
    public var truncateTimesToSeconds: Bool
    /// Clamp times later than this (`SOURCE_DATE_EPOCH`, reproducible builds).
    public var clampTime: Int64?
    /// Owner of every entry instead of the files' own (`COPY --chown`).
    public var owner: (uid: Int, gid: Int)?
    /// Permission bits of every entry but symlinks instead of the files' own (`COPY --chmod`).
    public var mode: UInt32?
    /// An overlay upper directory written by fuse-overlayfs on a filesystem that refuses whiteout
    /// devices: an empty regular file `.wh.NAME` is a whiteout, one named `.wh..wh..opq` marks its
    /// directory opaque (instead of refusing `.wh.` names).
    public var whiteoutFiles = false

    public init(xattrs: XattrPolicy = .capabilitiesOnly, truncateTimesToSeconds: Bool = true, clampTime: Int64? = nil,
                owner: (uid: Int, gid: Int)? = nil, mode: UInt32? = nil, whiteoutFiles: Bool = false) {
        self.xattrs = xattrs
        self.whiteoutFiles = whiteoutFiles
        self.truncateTimesToSeconds = truncateTimesToSeconds
        self.clampTime = clampTime
        self.owner = owner
        self.mode = mode
    }

    public static func == (a: LayerDiffOptions, b: LayerDiffOptions) -> Bool {
        a.xattrs == b.xattrs && a.truncateTimesToSeconds == b.truncateTimesToSeconds && a.clampTime == b.clampTime
            && a.owner?.uid == b.owner?.uid && a.owner?.gid == b.owner?.gid && a.mode == b.mode && a.whiteoutFiles == b.whiteoutFiles
    }
}

/// Turning directories into ordered layer entries, for the builder.
///
/// Order: depth-first; a directory's entry comes before its content; the names within a
/// directory are sorted byte-wise (by their name in the tar), except that an opaque marker
/// `.wh..wh..opq` comes right after its directory, before anything else in it (appliers older
/// than Docker 1.10 removed same-layer siblings listed before it). The result depends only on
/// the files, never on readdir order. uname/gname are left empty (as BuildKit does); sockets
/// are skipped; a second name of an inode (same device and inode, link count > 1) becomes a
/// hardlink entry to the first name. Names must be valid UTF-8 and must not start with `.wh.`
/// (a layer would read them as whiteouts): `.unsupported` otherwise.
public enum LayerDiff {
    /// The entries of an OCI layer from an overlayfs upper directory: a 0/0 character device
    /// (overlay whiteout) becomes `.wh.NAME`, a directory with `trusted.overlay.opaque=y`
    /// gets a `.wh..wh..opq` marker; `trusted.overlay.*` xattrs are never recorded.
    /// Upper directories using `redirect_dir` or `metacopy` cannot be expressed as an OCI layer
    /// and throw `.unsupported`.
    public static func entries(fromOverlayUpper upper: String, options: LayerDiffOptions = LayerDiffOptions()) throws -> [LayerEntry] {
        var walker = TreeWalker(options: options, overlay: true)
        try walker.walkChildren(of: upper, tarPrefix: "")
        return walker.entries
    }

    /// The entries of a layer that adds the tree at `directory` (a `COPY` layer), under
    /// `destination` in the image (e.g. `"app"`; `""` for the image root). The destination
    /// directory itself gets an entry (with `directory`'s metadata) unless it is the root.
    public static func entries(fromDirectory directory: String, under destination: String = "",
                               options: LayerDiffOptions = LayerDiffOptions()) throws -> [LayerEntry] {
        var walker = TreeWalker(options: options, overlay: false)
        let prefix = try LayerPath.cleanComponents(destination).joined(separator: "/")
        if !prefix.isEmpty {
            try walker.add(path: directory, tarPath: prefix)
        }
        try walker.walkChildren(of: directory, tarPrefix: prefix.isEmpty ? "" : prefix + "/")
        return walker.entries
    }

    /// Writes the entries, streaming each regular file's content from its `contentPath`.
    /// A file whose size changed since it was listed throws `.io` (the layer would be wrong).
    /// With `clampingTimesTo` (`SOURCE_DATE_EPOCH`, seconds), an entry whose mtime is later than
    /// that time is written with that time instead, in the same pass (the entries are not changed).
    /// With `stamps`, it is filled with one element per entry: the ``ContentStamp`` of a regular
    /// entry's file when it was the same before and after its content was read, else nil.
    /// `beforeEntry` is called with each entry's index in `entries` before its header is written
    /// (the writer's sink is then at an entry boundary: a multiple of 512 bytes).
    public static func write<Sink: ByteSink, Entries: RandomAccessCollection>(
        _ entries: Entries, to writer: inout TarWriter<Sink>, clampingTimesTo clamp: Int64? = nil,
        stamps: UnsafeMutablePointer<[ContentStamp?]>? = nil, beforeEntry: ((Entries.Index) throws -> Void)? = nil
    ) throws where Entries.Element == LayerEntry {
        stamps?.pointee = []
        stamps?.pointee.reserveCapacity(entries.count)
        // One read buffer for the whole layer (a fresh zeroed 256 KiB per file cost more than a small
        // file's own read).
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        for index in entries.indices {
            let entry = entries[index]
            try beforeEntry?(index)
            if let clamp, entry.header.modificationTime > TarTime(seconds: clamp) {
                var header = entry.header
                header.modificationTime = TarTime(seconds: clamp)
                try writer.writeHeader(header)
            } else {
                try writer.writeHeader(entry.header)
            }
            guard entry.header.type == .regular, entry.header.size > 0 || stamps != nil, let path = entry.contentPath else {
                if entry.header.type == .regular, entry.header.size > 0 {
                    throw LayerArchiveError(.invalidUse, "regular file entry without content", entry: entry.header.path)
                }
                stamps?.pointee.append(nil)
                continue
            }
            let stamp = try copyFile(path, size: entry.header.size, to: &writer, entry: entry.header.path, buffer: &buffer,
                                     stamping: stamps != nil)
            stamps?.pointee.append(stamp)
        }
    }

    /// Writes a whole layer (entries and end of archive) into `blob`, compressed as asked,
    /// and returns its digests (blob digest and diffID computed in the same pass). `clampingTimesTo`:
    /// as in ``write(_:to:clampingTimesTo:)``. `hashConcurrently`: an uncompressed layer is hashed on
    /// another core while it is written (``ConcurrentHashSink``).
    public static func writeLayer<Blob: ByteSink>(_ entries: [LayerEntry], to blob: Blob,
                                                  compression: LayerCompression = .gzip,
                                                  clampingTimesTo clamp: Int64? = nil,
                                                  stamps: UnsafeMutablePointer<[ContentStamp?]>? = nil,
                                                  hashConcurrently: Bool = false) throws -> (LayerDigests, Blob) {
        let sink = try LayerBlobSink(blob: blob, compression: compression, hashConcurrently: hashConcurrently)
        var writer = TarWriter(sink)
        try write(entries, to: &writer, clampingTimesTo: clamp, stamps: stamps)
        try writer.finish()
        let digests = try sink.finish()
        return (digests, sink.blob)
    }

    private static func copyFile<Sink: ByteSink>(_ path: String, size: Int64, to writer: inout TarWriter<Sink>, entry: String,
                                                 buffer: inout [UInt8], stamping: Bool = false) throws -> ContentStamp? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw LayerArchiveError.system("open", entry: entry) }
        let file = FileDescriptor(fd: fd)
        defer { withExtendedLifetime(file) {} }  // `fd` is used directly below
        let before = stamping ? ContentStamp.of(fd: fd) : nil
        var left = size
        while left > 0 {
            let n = try buffer.withUnsafeMutableBytes { try file.readSome(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<Int(min(Int64($0.count), left))])) }
            guard n > 0 else { throw LayerArchiveError(.io, "file shrank while being written to the layer", entry: entry) }
            try buffer.withUnsafeBytes { try writer.writeContent(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            left -= Int64(n)
        }
        var probe: UInt8 = 0
        guard Glibc.read(fd, &probe, 1) == 0 else {
            throw LayerArchiveError(.io, "file grew while being written to the layer", entry: entry)
        }
        guard let before, let after = ContentStamp.of(fd: fd), after == before else { return nil }
        return before
    }
}
