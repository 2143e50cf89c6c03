import CZlib
#if canImport(Glibc)
import Glibc
#endif

/// The depth-first walk behind `LayerDiff`.
struct TreeWalker {
    let options: LayerDiffOptions
    /// Whether the tree is an overlayfs upper directory (whiteouts, opaque markers).
    let overlay: Bool
    private(set) var entries: [LayerEntry] = []
    /// First tar path of each inode with several links, by (device, inode).
    private var seenInodes: [InodeKey: String] = [:]

    private struct InodeKey: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    init(options: LayerDiffOptions, overlay: Bool) {
        self.options = options
        self.overlay = overlay
    }

    /// Adds the entries of everything below directory `path`, in order.
    mutating func walkChildren(of path: String, tarPrefix: String) throws {
        let dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC)
        guard dir >= 0 else { throw LayerArchiveError.system("open directory", entry: path) }
        let handle = FileDescriptor(fd: dir)
        defer { withExtendedLifetime(handle) {} }
        var children: [(tarName: [UInt8], name: String)] = []
        for raw in try DirectoryOps.list(handle.fd, entry: path) {
            let name = DirectoryOps.decode(raw)
            guard Array(name.utf8) == raw.dropLast().map({ UInt8(bitPattern: $0) }) else {
                throw LayerArchiveError(.unsupported, "file name is not valid UTF-8", entry: path)
            }
            if overlay, options.whiteoutFiles, name.hasPrefix(".wh."), isWhiteoutFile(path + "/" + name) {
                // fuse-overlayfs's whiteout file (its tar name as is); the opaque marker is added with its directory.
                if name != opaqueMarker { children.append((Array(name.utf8), name)) }
                continue
            }
            guard !name.hasPrefix(".wh.") else {
                throw LayerArchiveError(.unsupported, "file name \"\(name)\" starts with .wh., which layers reserve for whiteouts", entry: path)
            }
            children.append((Array(tarName(of: name, in: path).utf8), name))
        }
        children.sort { $0.tarName.lexicographicallyPrecedes($1.tarName) }
        for child in children {
            try add(path: path + "/" + child.name, tarPath: tarPrefix + String(decoding: child.tarName, as: UTF8.self))
        }
    }

    /// The name `name` has in the tar: `.wh.NAME` for an overlay whiteout.
    private func tarName(of name: String, in dir: String) -> String {
        guard overlay, let info = try? lstatInfo(dir + "/" + name), isWhiteout(info) else { return name }
        return ".wh." + name
    }

    private func isWhiteout(_ info: stat) -> Bool {
        overlay && info.st_mode & S_IFMT == S_IFCHR && info.st_rdev == 0
    }

    private let opaqueMarker = ".wh..wh..opq"

    /// An empty regular file: fuse-overlayfs's whiteout or opaque marker where devices are refused.
    private func isWhiteoutFile(_ path: String) -> Bool {
        guard let info = try? lstatInfo(path) else { return false }
        return info.st_mode & S_IFMT == S_IFREG && info.st_size == 0
    }

    /// Adds the entry for the file at `path` (and, for a directory, everything below it).
    mutating func add(path: String, tarPath: String) throws {
        let info = try lstatInfo(path)
        if isWhiteout(info) || (overlay && options.whiteoutFiles && tarPath.split(separator: "/").last?.hasPrefix(".wh.") == true) {
            entries.append(LayerEntry(header: TarHeader(path: tarPath, type: .regular, mode: 0)))
            return
        }
        guard var header = try header(for: info, path: path, tarPath: tarPath) else { return }
        if header.type == .directory {
            let opaque = overlay ? try overlayXattrs(path) || (options.whiteoutFiles && isWhiteoutFile(path + "/" + opaqueMarker)) : false
            header.path += "/"
            entries.append(LayerEntry(header: header))
            if opaque {
                entries.append(LayerEntry(header: TarHeader(path: header.path + ".wh..wh..opq", type: .regular, mode: 0)))
            }
            try walkChildren(of: path, tarPrefix: header.path)
            return
        }
        if info.st_nlink > 1 {
            let key = InodeKey(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
            if let first = seenInodes[key] {
                header.type = .hardlink
                header.linkName = first
                header.size = 0
                entries.append(LayerEntry(header: header))
                return
            }
            seenInodes[key] = tarPath
        }
        entries.append(LayerEntry(header: header, contentPath: header.type == .regular ? path : nil))
    }

    /// The header for a file, or nil for what tar cannot hold (sockets).
    private func header(for info: stat, path: String, tarPath: String) throws -> TarHeader? {
        var header = TarHeader(path: tarPath, type: .regular)
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            header.size = Int64(info.st_size)
            if overlay, try OverlayXattrs.get(path, "metacopy") != nil {
                throw LayerArchiveError(.unsupported, "overlay metacopy file cannot be expressed in a layer; mount with metacopy=off", entry: path)
            }
        case S_IFDIR: header.type = .directory
        case S_IFLNK:
            header.type = .symlink
            header.linkName = try LayerPath.readLink(AT_FDCWD, path, entry: tarPath)
        case S_IFCHR, S_IFBLK:
            header.type = info.st_mode & S_IFMT == S_IFCHR ? .characterDevice : .blockDevice
            header.deviceMajor = kiln_major(UInt64(info.st_rdev))
            header.deviceMinor = kiln_minor(UInt64(info.st_rdev))
        case S_IFIFO: header.type = .fifo
        default: return nil
        }
        header.mode = UInt32(info.st_mode & 0o7777)
        if let mode = options.mode, header.type != .symlink { header.mode = mode & 0o7777 }
        header.uid = options.owner?.uid ?? Int(info.st_uid)
        header.gid = options.owner?.gid ?? Int(info.st_gid)
        header.modificationTime = time(info)
        header.xattrs = try xattrs(path)
        return header
    }

    private func time(_ info: stat) -> TarTime {
        var time = TarTime(seconds: Int64(info.st_mtim.tv_sec), nanoseconds: UInt32(info.st_mtim.tv_nsec))
        if options.truncateTimesToSeconds { time = time.truncatedToSeconds }
        if let clamp = options.clampTime, time.seconds >= clamp { time = TarTime(seconds: clamp) }
        return time
    }

    private func xattrs(_ path: String) throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        switch options.xattrs {
        case .none: return out
        case .capabilitiesOnly:
            out["security.capability"] = try Xattrs.get(path, "security.capability")
        case .all:
            for name in try Xattrs.list(path) where !(OverlayXattrs.prefixes + [OverlayXattrs.fusePrefix]).contains(where: { name.hasPrefix($0) }) {
                out[name] = try Xattrs.get(path, name)
            }
        }
        return out
    }

    /// Whether an upper directory is opaque; throws for overlay features a layer cannot carry.
    private func overlayXattrs(_ path: String) throws -> Bool {
        if try OverlayXattrs.get(path, "redirect") != nil {
            throw LayerArchiveError(.unsupported, "overlay redirect directory cannot be expressed in a layer; mount with redirect_dir=off", entry: path)
        }
        return try OverlayXattrs.get(path, "opaque") == Array("y".utf8)
    }

    private func lstatInfo(_ path: String) throws -> stat {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw LayerArchiveError.system("lstat", entry: path) }
        return info
    }
}
