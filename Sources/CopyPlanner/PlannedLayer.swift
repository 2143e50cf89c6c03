import ConfinedFS
import LayerArchive
#if canImport(Glibc)
import Glibc
#endif

/// A source file's identity, to keep hardlinks inside the copied set.
struct InodeKey: Hashable {
    var device: UInt64
    var inode: UInt64
}

/// One entry the layer will hold, keyed by its components in the image.
struct PlannedEntry {
    var header: TarHeader
    var contentPath: String?
    var inode: InodeKey?
}

/// The layer being planned, seen together with the destination's current filesystem: what a
/// path is once the entries planned so far are laid over `destinationRoot`.
struct PlannedLayer {
    let destinationRoot: String?
    /// The time given to directories the copy creates.
    let now: TarTime
    private(set) var planned: [[String]: PlannedEntry] = [:]

    init(destinationRoot: String?, now: TarTime) {
        self.destinationRoot = destinationRoot
        self.now = now
    }

    /// What `components` is (final symlink not followed): a planned entry wins over the
    /// destination root; a planned non-directory hides everything the root has below it.
    func kind(_ components: [String]) -> NodeKind {
        if let entry = planned[components] {
            switch entry.header.type {
            case .directory: return .directory
            case .symlink: return .symlink(entry.header.linkName)
            default: return .other
            }
        }
        if components.count > 1 {
            for count in 1..<components.count {
                if let entry = planned[Array(components.prefix(count))], entry.header.type != .directory { return .missing }
            }
        }
        if components.isEmpty { return .directory }
        guard let root = destinationRoot else { return .missing }
        return ConfinedResolver.kind(root: root, components)
    }

    /// Resolves symlinks in a destination path, confined to the destination root.
    func resolve(_ components: [String], followFinal: Bool = true) throws -> [String] {
        try ConfinedResolver.resolve(components, followFinal: followFinal) { kind($0) }
    }

    /// `stat` (following symlinks): nil when missing, else whether it is a directory.
    func statIsDirectory(_ components: [String]) throws -> Bool? {
        let resolved = try resolve(components)
        switch kind(resolved) {
        case .missing: return nil
        case .directory: return true
        default: return false
        }
    }

    /// Creates the missing directories of an already resolved path (`mode`, `owner`, now), as
    /// `MkdirAll` does; an existing non-directory on the way fails.
    mutating func makeDirectories(_ components: [String], owner: (uid: Int, gid: Int), mode: UInt32 = 0o755) throws {
        guard !components.isEmpty else { return }
        for count in 1...components.count {
            let prefix = Array(components.prefix(count))
            switch kind(prefix) {
            case .directory: continue
            case .missing:
                let header = TarHeader(path: prefix.joined(separator: "/"), type: .directory, mode: mode,
                                       uid: owner.uid, gid: owner.gid, modificationTime: now)
                planned[prefix] = PlannedEntry(header: header)
            case .symlink, .other:
                throw CopyError(.notADirectory, "mkdir /\(prefix.joined(separator: "/")): not a directory")
            }
        }
    }

    /// Plans `entry` at `components`, replacing what was planned there (and, when a planned
    /// directory becomes something else, everything planned below it).
    mutating func add(_ components: [String], _ entry: PlannedEntry) {
        if let old = planned[components], old.header.type == .directory, entry.header.type != .directory {
            planned = planned.filter { !($0.key.count > components.count && $0.key.starts(with: components)) }
        }
        var entry = entry
        entry.header.path = components.joined(separator: "/")
        planned[components] = entry
    }

    /// The layer's entries: the planned ones plus every parent directory they need (with the
    /// destination root's metadata; dated now when it gains a name, as up-wildcard's `/usr`),
    /// in `LayerDiff` order, later names of one inode as hardlinks.
    func entries() -> [LayerEntry] {
        var all = planned
        // Directories that gain a new name get the time of the copy, as the filesystem gives them.
        var touched = Set<[String]>()
        for key in planned.keys where !key.isEmpty && existsInDestination(key) == false {
            touched.insert(Array(key.dropLast()))
        }
        // Parents, nearest first: a parent already present has had its own parents added (it is
        // planned, so visited by this loop, or was added by it on the way down).
        for key in planned.keys where key.count > 1 {
            for count in stride(from: key.count - 1, through: 1, by: -1) {
                let prefix = Array(key.prefix(count))
                guard all[prefix] == nil else { break }
                var header = existingDirectoryHeader(prefix)
                if touched.contains(prefix) { header.modificationTime = now }
                all[prefix] = PlannedEntry(header: header)
            }
        }
        // Component-wise UTF-8 order, as the paths joined by NUL (below every byte of a name)
        // compared with memcmp; indices are sorted, not the entries (moving those dominated large copies).
        let keys = Array(all.keys)
        let flat: [[UInt8]] = keys.map { key in
            var bytes: [UInt8] = []
            for (i, component) in key.enumerated() {
                if i > 0 { bytes.append(0) }
                bytes.append(contentsOf: component.utf8)
            }
            return bytes
        }
        let ordered = keys.indices.sorted { a, b in
            flat[a].withUnsafeBufferPointer { x in
                flat[b].withUnsafeBufferPointer { y in
                    let n = min(x.count, y.count)
                    let order = n == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, n)
                    return order != 0 ? order < 0 : x.count < y.count
                }
            }
        }.map { keys[$0] }
        var firstName: [InodeKey: String] = [:]
        var result: [LayerEntry] = []
        result.reserveCapacity(ordered.count)
        for key in ordered {
            let entry = all[key]!
            var header = entry.header
            header.path = key.joined(separator: "/") + (header.type == .directory ? "/" : "")
            if let inode = entry.inode, header.type == .regular {
                if let first = firstName[inode] {
                    header.type = .hardlink
                    header.linkName = first
                    header.size = 0
                    result.append(LayerEntry(header: header))
                    continue
                }
                firstName[inode] = header.path
            }
            result.append(LayerEntry(header: header, contentPath: header.type == .regular ? entry.contentPath : nil))
            if header.type == .directory, replacesNonDirectory(key) {
                result.append(LayerEntry(header: TarHeader(path: header.path + ".wh..wh..opq", type: .regular, mode: 0)))
            }
        }
        return result
    }

    private func existsInDestination(_ components: [String]) -> Bool {
        guard let root = destinationRoot else { return false }
        return ConfinedResolver.kind(root: root, components) != .missing
    }

    /// Whether a planned directory takes the place of a file or symlink of the destination:
    /// overlayfs then marks the new directory opaque, and the layer carries `.wh..wh..opq`
    /// right after it (reference up-add-not-dir-dir: 2 entries for one directory).
    private func replacesNonDirectory(_ components: [String]) -> Bool {
        guard let root = destinationRoot else { return false }
        switch ConfinedResolver.kind(root: root, components) {
        case .other, .symlink: return true
        case .missing, .directory: return false
        }
    }

    /// A parent directory that already exists in the destination, with its metadata there.
    private func existingDirectoryHeader(_ components: [String]) -> TarHeader {
        var header = TarHeader(path: components.joined(separator: "/"), type: .directory, mode: 0o755, modificationTime: now)
        guard let root = destinationRoot, let confined = try? ConfinedRoot(root),
              let handle = try? confined.open("/" + components.joined(separator: "/"), followFinal: false),
              let info = try? handle.stat(), info.st_mode & S_IFMT == S_IFDIR else { return header }
        header.mode = UInt32(info.st_mode & 0o7777)
        header.uid = Int(info.st_uid)
        header.gid = Int(info.st_gid)
        header.modificationTime = TarTime(seconds: Int64(info.st_mtim.tv_sec))
        if let caps = try? handle.xattr("security.capability") { header.xattrs["security.capability"] = caps }
        return header
    }
}
