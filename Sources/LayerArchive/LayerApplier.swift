import ConfinedFS
import CZlib
#if canImport(Glibc)
import Glibc
#endif

/// How `LayerApplier` works; the defaults are what a root-run snapshotter wants.
public struct LayerApplyOptions: Sendable, Equatable {
    /// What OCI whiteout entries (`.wh.NAME`, `.wh..wh..opq`) become.
    public enum Whiteouts: Sendable, Equatable {
        /// Applied: the named path is deleted, an opaque directory is emptied of what lower
        /// layers put there. For extracting a whole image into one directory.
        case delete
        /// Converted to overlayfs markers: a 0/0 character device for `.wh.NAME`, the
        /// `trusted.overlay.opaque=y` xattr for an opaque directory (`user.overlay.opaque` in
        /// a user namespace, see `OverlayXattrs`). For unpacking a layer
        /// into its own (empty) overlay snapshot directory.
        case overlayMarkers
    }

    public var whiteouts: Whiteouts
    /// Set owners from the archive (needs root). Otherwise files belong to the caller.
    public var preserveOwnership: Bool
    /// When creating a device node is not permitted (no CAP_MKNOD, user namespaces), skip it
    /// with a warning instead of failing.
    public var skipUnpermittedDevices: Bool
    /// When the filesystem refuses an xattr (unsupported, or not permitted on that file type),
    /// skip it with a warning instead of failing.
    public var skipRefusedXattrs: Bool
    /// The unpacked folders of the layers below this one, base first (overlay snapshots, with
    /// overlay whiteout markers): a hardlink whose target is not in the target directory is
    /// resolved in their merged view and copied (see `LowerLayerLinks.swift`).
    public var lowerLayers: [String]
    /// Files whose content a regular entry may take instead of writing it: entry path (as in
    /// the archive, no leading `/`) → a file on the target's filesystem holding exactly that
    /// content, which the apply may rename into place (the caller gives it up: a RUN's overlay
    /// upper directory, discarded after its layer is written). Used only when the file is a
    /// regular file of the entry's size with one link and ownership is preserved; its other
    /// xattrs are removed and the entry's metadata set, so the result is the same as writing it.
    public var movableContent: [String: String]
    /// Regular entries that may be made by hard link instead of being written (see ``LinkableContent``).
    public var linkableContent: LinkableContent?

    public init(whiteouts: Whiteouts = .delete, preserveOwnership: Bool = geteuid() == 0,
                skipUnpermittedDevices: Bool = true, skipRefusedXattrs: Bool = true, lowerLayers: [String] = [],
                movableContent: [String: String] = [:], linkableContent: LinkableContent? = nil) {
        self.linkableContent = linkableContent
        self.whiteouts = whiteouts
        self.preserveOwnership = preserveOwnership
        self.skipUnpermittedDevices = skipUnpermittedDevices
        self.skipRefusedXattrs = skipRefusedXattrs
        self.lowerLayers = lowerLayers
        self.movableContent = movableContent
    }
}

/// What an apply did.
public struct LayerApplyReport: Sendable, Equatable {
    public var entries = 0
    public var whiteouts = 0
    public var contentBytes: Int64 = 0
    /// Regular entries made by hard link to ``LayerApplyOptions/linkableContent`` (their bytes are
    /// not counted in `contentBytes`).
    public var linkedFiles = 0
    /// Things skipped under the options (device nodes, xattrs, AUFS metadata).
    public var warnings: [String] = []
}

/// Applies a layer tar onto a directory, as a container runtime's snapshotter does.
///
/// Semantics (Docker's `ApplyLayer` with chroot-style confinement):
/// - Entries are created in archive order. An existing entry at the same path is replaced
///   (removed first, recursively for a directory), except that a directory entry over an
///   existing directory keeps it and only updates its metadata. A symlink in the way at the
///   final component is replaced, never written through.
/// - Missing parent directories are created with mode 0755.
/// - Owners (when `preserveOwnership`), modes (including set-uid/set-gid/sticky), xattrs and
///   modification times are set; directory times last, after all their content.
/// - Hardlinks link to the named path inside the target (the link itself if it is a symlink).
///   Their header's metadata is not applied (the inode is the target's). A target only a lower
///   layer has (``LayerApplyOptions/lowerLayers``) is copied from there.
/// - Overlay-private xattrs (`trusted.overlay.*`, `user.overlay.*`) in the archive are dropped
///   with a warning: they would change what overlayfs shows (hide a directory's lower content,
///   redirect it), which only kiln's own whiteout conversion may do.
///
/// Safety — nothing outside the target is ever created, changed, linked or deleted:
/// - Paths are **confined** like a chroot (ConfinedFS's `ConfinedRoot`, `openat2(RESOLVE_IN_ROOT)`,
///   names longer than PATH_MAX too): absolute names and symlinks met along a path (`a -> /etc`, then
///   `a/passwd`) resolve inside the target.
/// - Names whose `..` climbs above the target (`../x`, `a/../../x`) are **rejected** with
///   `.unsafeEntry`, for entries and for hardlink targets alike. Whiteouts naming `.`, `..` or
///   nothing are rejected too.
///
/// Not atomic: on error the directory holds the entries applied so far; apply into a fresh
/// snapshot directory and discard it on failure.
public struct LayerApplier: Sendable {
    public let target: String
    public var options: LayerApplyOptions

    public init(target: String, options: LayerApplyOptions = LayerApplyOptions()) {
        self.target = target
        self.options = options
    }

    /// Applies the uncompressed tar read by `reader`.
    @discardableResult
    public func apply<Source: ByteSource>(_ reader: inout TarReader<Source>) throws -> LayerApplyReport {
        var session = try ApplySession(root: LayerTarget.open(target), options: options)
        while let header = try reader.next() {
            do {
                try session.apply(header, &reader)
            } catch let error as LayerArchiveError {
                throw error.naming(header.path)
            }
        }
        try session.finish()
        return session.report
    }

    /// Applies a layer blob, uncompressed or gzip-compressed (detected from its first bytes).
    @discardableResult
    public func apply<Source: ByteSource>(blob: Source) throws -> LayerApplyReport {
        var reader = try TarReader(detectingCompression: blob)
        return try apply(&reader)
    }

    /// Applies the layer blob in the file at `path` (uncompressed or gzip).
    @discardableResult
    public func apply(blobFile path: String) throws -> LayerApplyReport {
        try apply(blob: try FileDescriptor.open(reading: path))
    }
}

/// The state of one apply: the confined root, what this layer created, deferred directory times.
struct ApplySession {
    let root: ConfinedRoot
    let options: LayerApplyOptions
    var report = LayerApplyReport()
    /// Cleaned paths created by this layer, which its opaque markers must not remove.
    private var created: Set<String> = []
    private var directoryTimes: [([String], TarTime)] = []
    /// The last parent directory opened, reused by consecutive siblings. Dropped whenever
    /// anything is removed, since only a removal can change what existing components resolve to.
    private var cachedParent: (components: [String], dir: ConfinedFD)?
    /// The donor folder of ``LayerApplyOptions/linkableContent`` and its last directory opened.
    private var donorRoot: ConfinedRoot?
    private var cachedDonor: (components: [String], dir: ConfinedFD)?

    init(root: ConfinedRoot, options: LayerApplyOptions) {
        self.root = root
        self.options = options
    }

    mutating func apply<Source: ByteSource>(_ header: TarHeader, _ reader: inout TarReader<Source>) throws {
        let components = try LayerPath.cleanComponents(header.path)
        guard let base = components.last else {
            guard header.type == .directory else {
                throw LayerArchiveError(.unsafeEntry, "a non-directory entry names the target directory itself")
            }
            try applyRootMetadata(header)
            return
        }
        if base.hasPrefix(".wh.") {
            try applyWhiteout(components)
            return
        }
        let parent = try parentDirectory(Array(components.dropLast()), entry: header.path)
        defer { withExtendedLifetime(parent) {} }  // keeps the descriptor open while `parent.fd` is used
        // The clean path, joined once per entry (the lookups below and `created` all use it).
        let path = components.joined(separator: "/")
        let made = try create(header, in: parent.fd, name: base, components: components, path: path, &reader)
        if made {
            // The entry and the parents it implies are this layer's: opaque markers keep them.
            // The set only ever grows by whole prefix chains, so once a prefix is in it, so are its own.
            if created.insert(path).inserted {
                for end in stride(from: components.count - 1, through: 1, by: -1) {
                    guard created.insert(components[0..<end].joined(separator: "/")).inserted else { break }
                }
            }
            report.entries += 1
        }
    }

    /// The directory `components` name (created if missing), from the cache when it is there.
    private mutating func parentDirectory(_ components: [String], entry: String) throws -> ConfinedFD {
        if let cachedParent, cachedParent.components == components { return cachedParent.dir }
        guard let dir = try root.layerDirectory(components, create: true, entry: entry) else {
            throw LayerArchiveError(.io, "could not create the parent directory")
        }
        cachedParent = (components, dir)
        return dir
    }

    /// Removes `name` in `dir` (recursively), forgetting the cached parent.
    mutating func remove(_ name: [CChar], in dir: Int32, entry: String) throws {
        cachedParent = nil
        try DirectoryOps.removeTree(dir, name, entry: entry)
    }

    mutating func remove(_ name: String, in dir: Int32, entry: String) throws {
        try remove(Array(name.utf8CString), in: dir, entry: entry)
    }

    /// Creates one entry; false when it was skipped under the options.
    private mutating func create<Source: ByteSource>(
        _ header: TarHeader, in dir: Int32, name: String, components: [String], path: String, _ reader: inout TarReader<Source>
    ) throws -> Bool {
        // A regular file without a donor is created with O_EXCL straight away; only when the name is
        // taken is the slot cleared first (a fresh snapshot saves an lstat per file).
        if header.type == .regular, let linkable = options.linkableContent, options.preserveOwnership,
           linkable.paths.contains(path),
           try linkFile(header, components: components, from: linkable.root, in: dir, name: name) {
            return true
        }
        if header.type == .regular, options.movableContent.isEmpty || options.movableContent[path] == nil {
            if try createFile(header, in: dir, name: name, &reader, ifAbsent: true) { return true }
        }
        // A donor file is renamed straight over the slot (rename replaces a non-directory; a fresh
        // snapshot saves an lstat per file); ``moveFile`` clears a directory in the way itself.
        if header.type == .regular, let donor = options.movableContent[path],
           try moveFile(header, from: donor, in: dir, name: name) {
            return true
        }
        try clearSlot(dir, name, keepDirectory: header.type == .directory, entry: header.path)
        switch header.type {
        case .regular:
            _ = try createFile(header, in: dir, name: name, &reader, ifAbsent: false)
            return true
        case .directory:
            if mkdirat(dir, name, 0o700) != 0 && errno != EEXIST { throw LayerArchiveError.system("mkdir") }
            directoryTimes.append((components, header.modificationTime))
        case .symlink:
            guard symlinkat(header.linkName, dir, name) == 0 else { throw LayerArchiveError.system("symlink") }
        case .hardlink:
            try createHardlink(header, in: dir, name: name)
            return true
        case .characterDevice, .blockDevice, .fifo:
            guard try createNode(header, in: dir, name: name) else { return false }
        }
        try setMetadata(header, in: dir, name: name)
        return true
    }

    /// Makes room for a new entry `name`: removes what is there, unless both are directories.
    private mutating func clearSlot(_ dir: Int32, _ name: String, keepDirectory: Bool, entry: String) throws {
        var info = stat()
        guard fstatat(dir, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            if errno == ENOENT { return }
            throw LayerArchiveError.system("stat")
        }
        if keepDirectory && info.st_mode & S_IFMT == S_IFDIR { return }
        try remove(name, in: dir, entry: entry)
    }

    /// Creates the file and writes its content; with `ifAbsent`, false (nothing done) when `name`
    /// already exists.
    private mutating func createFile<Source: ByteSource>(
        _ header: TarHeader, in dir: Int32, name: String, _ reader: inout TarReader<Source>, ifAbsent: Bool
    ) throws -> Bool {
        let fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if fd < 0 && ifAbsent && errno == EEXIST { return false }
        guard fd >= 0 else { throw LayerArchiveError.system("create file") }
        var file = FileDescriptor(fd: fd)
        defer { withExtendedLifetime(file) {} }
        try reader.copyContent(to: &file)
        report.contentBytes += header.size
        try Metadata.apply(header, fd: fd, options: options, report: &report)
        return true
    }

    /// Renames `donor` into place as the entry (see ``LayerApplyOptions/movableContent``), over
    /// whatever non-directory holds the name (a directory there is removed first); false when it
    /// does not qualify or cannot be renamed here (then the content is written).
    private mutating func moveFile(_ header: TarHeader, from donor: String, in dir: Int32, name: String) throws -> Bool {
        guard options.preserveOwnership else { return false }
        var info = stat()
        guard lstat(donor, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_nlink == 1,
              Int64(info.st_size) == header.size else { return false }
        if renameat(AT_FDCWD, donor, dir, name) != 0 {
            guard [EISDIR, ENOTEMPTY, EEXIST].contains(errno) else { return false }
            try clearSlot(dir, name, keepDirectory: false, entry: header.path)
            guard renameat(AT_FDCWD, donor, dir, name) == 0 else { return false }
        }
        let fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw LayerArchiveError.system("open moved file") }
        let file = FileDescriptor(fd: fd)
        defer { withExtendedLifetime(file) {} }
        for xattr in try Self.xattrNames(fd) where header.xattrs[xattr] == nil {
            guard fremovexattr(fd, xattr) == 0 else { throw LayerArchiveError.system("removexattr \(xattr)") }
        }
        report.contentBytes += header.size
        try Metadata.apply(header, fd: fd, options: options, report: &report)
        return true
    }

    /// Hard-links the file at `components` under `root` as the entry (see ``LinkableContent``);
    /// false, with nothing left behind, when the link cannot be made or the inode's metadata is not
    /// the header's.
    private mutating func linkFile(_ header: TarHeader, components: [String], from root: String,
                                   in dir: Int32, name: String) throws -> Bool {
        guard let donorDir = donorDirectory(Array(components.dropLast()), root: root) else { return false }
        if linkat(donorDir.fd, name, dir, name, 0) != 0 {
            guard errno == EEXIST else { return false }
            try clearSlot(dir, name, keepDirectory: false, entry: header.path)
            guard linkat(donorDir.fd, name, dir, name, 0) == 0 else { return false }
        }
        var info = stat()
        guard fstatat(dir, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { throw LayerArchiveError.system("stat linked file") }
        guard info.st_mode & S_IFMT == S_IFREG, UInt32(info.st_mode & 0o7777) == header.mode & 0o7777,
              Int64(info.st_size) == header.size, Int(info.st_uid) == header.uid, Int(info.st_gid) == header.gid,
              Int64(info.st_mtim.tv_sec) == header.modificationTime.seconds,
              UInt32(info.st_mtim.tv_nsec) == header.modificationTime.nanoseconds else {
            guard unlinkat(dir, name, 0) == 0 else { throw LayerArchiveError.system("unlink mismatched link") }
            return false
        }
        report.linkedFiles += 1
        return true
    }

    /// The directory `components` under the donor `root`, reached without following any symlink
    /// (`RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`); nil when it cannot be opened. The last one is reused.
    private mutating func donorDirectory(_ components: [String], root: String) -> ConfinedFD? {
        if let cachedDonor, cachedDonor.components == components { return cachedDonor.dir }
        if donorRoot == nil { donorRoot = try? ConfinedRoot(root, policy: .noSymlinks) }
        guard let donorRoot, let dir = try? donorRoot.openDirectory(components.joined(separator: "/")) else { return nil }
        cachedDonor = (components, dir)
        return dir
    }

    private static func xattrNames(_ fd: Int32) throws -> [String] {
        while true {
            let size = flistxattr(fd, nil, 0)
            if size < 0 {
                if errno == ENOTSUP { return [] }
                throw LayerArchiveError.system("flistxattr")
            }
            if size == 0 { return [] }
            var buffer = [CChar](repeating: 0, count: size)
            let got = flistxattr(fd, &buffer, size)
            if got < 0 {
                if errno == ERANGE { continue }
                throw LayerArchiveError.system("flistxattr")
            }
            return buffer[0..<got].split(separator: 0).map { String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        }
    }

    private func createHardlink(_ header: TarHeader, in dir: Int32, name: String) throws {
        let target = try LayerPath.cleanComponents(header.linkName)
        guard let targetName = target.last else {
            throw LayerArchiveError(.unsafeEntry, "hardlink to the target directory itself")
        }
        let targetDir = try root.layerDirectory(Array(target.dropLast()), create: false, entry: header.path)
        defer { withExtendedLifetime(targetDir) {} }
        if let targetDir, linkat(targetDir.fd, targetName, dir, name, 0) == 0 { return }
        let code = targetDir == nil ? ENOENT : errno
        if code == ENOENT, try linkFromLowerLayers(target, in: dir, name: name, entry: header.path) { return }
        throw LayerArchiveError(.io, "hardlink target \"\(header.linkName)\" cannot be linked: \(String(cString: strerror(code)))")
    }

    /// Creates a device node or fifo; false when not permitted and skipping is allowed.
    private mutating func createNode(_ header: TarHeader, in dir: Int32, name: String) throws -> Bool {
        let kind: mode_t = header.type == .fifo ? S_IFIFO : header.type == .blockDevice ? S_IFBLK : S_IFCHR
        let device = header.type == .fifo ? 0 : kiln_makedev(header.deviceMajor, header.deviceMinor)
        if mknodat(dir, name, kind | mode_t(header.mode & 0o7777), dev_t(device)) == 0 { return true }
        if errno == EPERM && options.skipUnpermittedDevices {
            report.warnings.append("skipped device node \(header.path): not permitted")
            return false
        }
        throw LayerArchiveError.system("mknod")
    }

    private mutating func setMetadata(_ header: TarHeader, in dir: Int32, name: String) throws {
        try Metadata.apply(header, dir: dir, name: name, options: options, report: &report)
    }

    private mutating func applyRootMetadata(_ header: TarHeader) throws {
        let fd = open(root.hostPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw LayerArchiveError.system("open target directory") }
        let handle = FileDescriptor(fd: fd)
        defer { withExtendedLifetime(handle) {} }
        var dirHeader = header
        dirHeader.modificationTime = TarTime(seconds: 0)
        try Metadata.apply(dirHeader, fd: handle.fd, options: options, report: &report, setTimes: false)
        directoryTimes.append(([], header.modificationTime))
    }

    /// Sets the directory times recorded during the apply (after all content was written).
    mutating func finish() throws {
        for (components, time) in directoryTimes.reversed() {
            let entry = components.joined(separator: "/")
            if components.isEmpty {
                try Metadata.setTimes(time, dir: AT_FDCWD, name: root.hostPath, entry: "/")
                continue
            }
            guard let dir = try root.layerDirectory(Array(components.dropLast()), create: false, entry: entry) else { continue }
            try withExtendedLifetime(dir) {
                try Metadata.setTimes(time, dir: dir.fd, name: components.last!, entry: entry)
            }
        }
    }
}

extension ApplySession {
    /// `.wh..wh..opq`, `.wh.NAME`, or other AUFS metadata (`.wh..wh.*`, ignored).
    mutating func applyWhiteout(_ components: [String]) throws {
        let base = components.last!
        let parent = Array(components.dropLast())
        let entry = components.joined(separator: "/")
        report.whiteouts += 1
        if base == ".wh..wh..opq" {
            try applyOpaque(parent, entry: entry)
            return
        }
        if base.hasPrefix(".wh..wh.") {
            report.warnings.append("ignored AUFS metadata entry \(entry)")
            return
        }
        let victim = String(base.dropFirst(4))
        guard !victim.isEmpty, victim != ".", victim != ".." else {
            throw LayerArchiveError(.unsafeEntry, "whiteout names no sibling entry")
        }
        switch options.whiteouts {
        case .delete:
            guard let dir = try root.layerDirectory(parent, create: false, entry: entry) else { return }
            defer { withExtendedLifetime(dir) {} }
            try remove(victim, in: dir.fd, entry: entry)
        case .overlayMarkers:
            guard let dir = try root.layerDirectory(parent, create: true, entry: entry) else { return }
            defer { withExtendedLifetime(dir) {} }
            try remove(victim, in: dir.fd, entry: entry)
            if mknodat(dir.fd, victim, S_IFCHR, 0) != 0 {
                guard errno == EPERM else { throw LayerArchiveError.system("mknod whiteout") }
                // The filesystem refuses whiteout devices even to root (an overlay mount, such as a
                // container's root): fuse-overlayfs's own form, an empty file `.wh.NAME`, which only the
                // fuse-overlayfs tier and the copying fallback read (the kernel refuses such a store anyway).
                try makeMarkerFile(base, in: dir.fd, entry: entry)
            }
        }
    }

    /// An empty file `name` (mode 0) in `dir`: fuse-overlayfs's whiteout or opaque marker.
    private func makeMarkerFile(_ name: String, in dir: Int32, entry: String) throws {
        let fd = openat(dir, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0)
        guard fd >= 0 else { throw LayerArchiveError.system("create whiteout file", entry: entry) }
        close(fd)
    }

    /// Empties the directory of what lower layers put there (or marks it opaque for overlayfs).
    private mutating func applyOpaque(_ components: [String], entry: String) throws {
        guard let dir = try root.layerDirectory(components, create: true, entry: entry) else { return }
        defer { withExtendedLifetime(dir) {} }
        switch options.whiteouts {
        case .delete:
            let prefix = components.isEmpty ? "" : components.joined(separator: "/") + "/"
            for name in try DirectoryOps.list(dir.fd, entry: entry)
            where !created.contains(prefix + DirectoryOps.decode(name)) {
                try remove(name, in: dir.fd, entry: entry)
            }
        case .overlayMarkers:
            let name = OverlayXattrs.prefix + "opaque"
            let status = setxattr("/proc/self/fd/\(dir.fd)", name, "y", 1, 0)
            if status != 0 {
                guard errno == EPERM || errno == ENOTSUP else { throw LayerArchiveError.system("set \(name)") }
                // Refused with the whiteout devices (see applyWhiteout): fuse-overlayfs's `.wh..wh..opq` file.
                try makeMarkerFile(".wh..wh..opq", in: dir.fd, entry: entry)
            }
        }
    }
}
