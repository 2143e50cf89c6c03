import CZlib
import LayerArchive
#if canImport(Glibc)
import Glibc
#endif

/// How copied files' metadata becomes their layer metadata.
struct OwnershipPolicy {
    /// `--chown`: every copied entry and every created directory.
    var chown: (uid: Int, gid: Int)?
    /// Files from the build context are owned by 0:0 (BuildKit sends the context that way).
    var zeroOwners: Bool
    /// `--chmod`: permission bits of every copied entry but symlinks.
    var mode: UInt32?
    /// Symbolic `--chmod` (`go-w`, `u+x`): applied to each copied entry's own bits, symlinks excepted.
    var symbolic: SymbolicMode? = nil

    /// The owner of directories the copy creates.
    var createdOwner: (uid: Int, gid: Int) { chown ?? (0, 0) }
    /// The mode of directories the copy creates: an octal `--chmod`, else 0755 (current
    /// BuildKit's fsutil `copy.Copy` makes missing parents with the copy's mode; testCopyChmod).
    var createdMode: UInt32 { mode ?? 0o755 }
}

enum SourceHeaders {
    static func lstatInfo(_ path: String) -> stat? {
        var info = stat()
        return lstat(path, &info) == 0 ? info : nil
    }

    static func isDirectory(_ info: stat) -> Bool { info.st_mode & S_IFMT == S_IFDIR }

    /// The planned entry for the file at `path` (described by `info`); nil for a type a layer
    /// cannot hold. A socket becomes an empty regular file with its permission bits, as BuildKit
    /// sends it (frontend/dockerfile testCopySocket). Times are the file's mtime in whole
    /// seconds; only `security.capability` is kept.
    static func entry(path: String, info: stat, policy: OwnershipPolicy) throws -> PlannedEntry? {
        var header = TarHeader(path: "", type: .regular)
        switch info.st_mode & S_IFMT {
        case S_IFREG: header.size = Int64(info.st_size)
        case S_IFDIR: header.type = .directory
        case S_IFLNK:
            header.type = .symlink
            guard let target = ConfinedResolver.readLink(path) else { throw CopyError(.io, "readlink \(path) failed") }
            header.linkName = target
        case S_IFCHR, S_IFBLK:
            header.type = info.st_mode & S_IFMT == S_IFCHR ? .characterDevice : .blockDevice
            header.deviceMajor = kiln_major(UInt64(info.st_rdev))
            header.deviceMinor = kiln_minor(UInt64(info.st_rdev))
        case S_IFIFO: header.type = .fifo
        case S_IFSOCK: header.size = 0
        default: return nil
        }
        header.mode = UInt32(info.st_mode & 0o7777)
        if let mode = policy.mode, header.type != .symlink { header.mode = mode & 0o7777 }
        if policy.mode == nil, let symbolic = policy.symbolic, header.type != .symlink {
            header.mode = symbolic.apply(to: header.mode, isDirectory: header.type == .directory)
        }
        if let chown = policy.chown {
            (header.uid, header.gid) = chown
        } else if !policy.zeroOwners {
            (header.uid, header.gid) = (Int(info.st_uid), Int(info.st_gid))
        }
        header.modificationTime = TarTime(seconds: Int64(info.st_mtim.tv_sec))
        if let caps = try? Xattrs.get(path, "security.capability") { header.xattrs["security.capability"] = caps }
        var inode: InodeKey?
        if header.type == .regular && info.st_nlink > 1 {
            inode = InodeKey(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        }
        let hasContent = header.type == .regular && info.st_mode & S_IFMT == S_IFREG
        return PlannedEntry(header: header, contentPath: hasContent ? path : nil, inode: inode)
    }

    /// The names in a directory, sorted byte-wise.
    static func children(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw CopyError(.io, "cannot read directory \(path): \(String(cString: strerror(errno)))") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." || name.isEmpty { continue }
            names.append(name)
        }
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}
