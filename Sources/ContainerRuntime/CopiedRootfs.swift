import CUserNamespace
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The copying fallback of ``OverlayMount`` for where overlayfs cannot be mounted (a rootless store
/// on a filesystem that refuses an overlay upper directory, such as the container's own overlay root
/// in a pod), or when `KILN_SNAPSHOTS=copy` asks for it: the merged tree of the lower directories
/// (base first) and the upper directory is copied into the target, and when the mount ends the
/// changes made there are written back to the upper directory in overlayfs's own format, so that
/// everything reading upper directories (the layer diff, containers' restarts) sees what overlayfs
/// would have left:
///
/// - a new entry, or one whose inode change time changed (written, chmod-ed, a child added or
///   removed), is copied up together with its parent directories;
/// - a deleted entry becomes a whiteout (a 0:0 character device);
/// - a directory with a new inode where an entry was before (removed and made again) is an opaque
///   directory (`trusted.overlay.opaque`, `user.overlay.opaque` in kiln's user namespace), as
///   overlayfs marks a directory created over a whiteout.
///
/// Slow (every step copies its image's files) but gives the same layers and image IDs.
struct CopiedRootfs: Sendable {
    /// What an entry of the copied tree was before the process ran.
    struct Seen: Sendable, Equatable {
        var inode: UInt64
        var changeSeconds: Int
        var changeNanoseconds: Int
        var isDirectory: Bool
    }

    let target: String
    let upperDir: String?
    /// The copied tree's entries by relative path ("etc/passwd"), before the process ran.
    let before: [String: Seen]
    /// An open descriptor on each directory of `before`, until `finish`: a directory the process
    /// removes keeps its inode while held, so one made again in its place cannot get the same inode
    /// number (and pass for the old directory instead of an opaque one).
    let held: [Int32]

    /// Copies the merged tree of `lowerDirs` (base first) and `upperDir` into the empty `target`.
    static func make(lowerDirs: [String], upperDir: String?, target: String) throws -> CopiedRootfs {
        for layer in lowerDirs + (upperDir.map { [$0] } ?? []) {
            try TreeCopy.merge(layer: layer, into: target, relative: "")
        }
        var seen: [String: Seen] = [:]
        var held: [Int32] = []
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        do {
            try TreeCopy.walk(target) { relative, info in
                seen[relative] = Seen(info)
                guard info.st_mode & S_IFMT == S_IFDIR else { return }
                let fd = open(target + "/" + relative, 0o10000000 /* O_PATH */ | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard fd >= 0 else {
                    throw ContainerRuntimeError.system(.mount, "copied root filesystem: hold a directory", path: target + "/" + relative)
                }
                held.append(fd)
            }
        } catch {
            for fd in held { close(fd) }
            throw error
        }
        return CopiedRootfs(target: target, upperDir: upperDir, before: seen, held: held)
    }

    /// Writes the changes made in `target` to the upper directory and empties `target`.
    func finish() throws {
        defer { for fd in held { close(fd) } }
        if let upperDir { try writeChanges(to: upperDir) }
        try TreeCopy.removeChildren(of: target)
    }

    private func writeChanges(to upper: String) throws {
        var after: [String: Seen] = [:]
        var order: [String] = []
        try TreeCopy.walk(target) { relative, info in
            after[relative] = Seen(info)
            order.append(relative)
        }
        var included = Set<String>(), opaque = Set<String>()
        for relative in order {
            let now = after[relative]!
            guard let was = before[relative] else { included.insert(relative); continue }
            if was.inode != now.inode || was.isDirectory != now.isDirectory {
                included.insert(relative)
                if now.isDirectory { opaque.insert(relative) }
            } else if was.changeSeconds != now.changeSeconds || was.changeNanoseconds != now.changeNanoseconds {
                included.insert(relative)
            }
        }
        // Overlayfs copies up the parents of everything it changes.
        for relative in Array(included) {
            var parent = TreeCopy.parent(of: relative)
            while !parent.isEmpty, included.insert(parent).inserted { parent = TreeCopy.parent(of: parent) }
        }
        // Deleted: a whiteout, unless a deleted or remade parent already hides it.
        var whiteouts: [String] = []
        for relative in before.keys where after[relative] == nil {
            let parent = TreeCopy.parent(of: relative)
            if parent.isEmpty { whiteouts.append(relative); continue }
            if let now = after[parent], let was = before[parent], now.isDirectory, now.inode == was.inode {
                whiteouts.append(relative)
            }
        }
        let prefix = UserNamespaceMap.current.isInitial ? "trusted.overlay." : "user.overlay."
        var linked: [UInt64: String] = [:]  // hard links made in the step stay links in the upper directory
        for relative in order where included.contains(relative) {  // parents before children
            let source = target + "/" + relative, destination = upper + "/" + relative
            let info = try TreeCopy.lstatInfo(source)
            if info.st_mode & S_IFMT == S_IFDIR {
                var existing = stat()
                let exists = lstat(destination, &existing) == 0
                if exists && (opaque.contains(relative) || existing.st_mode & S_IFMT != S_IFDIR) {
                    try TreeCopy.remove(destination)
                }
                if !exists || opaque.contains(relative) || existing.st_mode & S_IFMT != S_IFDIR {
                    try TreeCopy.check(mkdir(destination, 0o700), "mkdir", destination)
                }
                if opaque.contains(relative) {
                    try TreeCopy.check(lsetxattr(destination, prefix + "opaque", "y", 1, 0), "set the opaque marker", destination)
                }
            } else {
                try TreeCopy.remove(destination)
                if info.st_nlink > 1, info.st_mode & S_IFMT != S_IFDIR, let first = linked[UInt64(info.st_ino)] {
                    try TreeCopy.check(link(first, destination), "link", destination)
                    continue
                }
                try TreeCopy.copyEntry(source, to: destination, info: info)
                if info.st_nlink > 1 { linked[UInt64(info.st_ino)] = destination }
            }
        }
        for relative in whiteouts.sorted() {
            let destination = upper + "/" + relative
            try TreeCopy.remove(destination)
            if mknod(destination, S_IFCHR | 0o000, 0) != 0 {
                let code = errno
                guard code == EPERM else { try TreeCopy.check(-1, "make a whiteout", destination) ; continue }
                throw ContainerRuntimeError(.mount, "the store's filesystem refuses overlay whiteouts (0:0 character devices), "
                    + "so a deletion in this step cannot be recorded: put the store (--root, KILN_ROOT) on a volume "
                    + "(ext4, xfs, btrfs, tmpfs), not on a container's overlay root filesystem", path: destination, errno: code)
            }
        }
        // Directory metadata last, deepest first, so that adding children does not change their times.
        for relative in order.reversed() where included.contains(relative) {
            let source = target + "/" + relative
            let info = try TreeCopy.lstatInfo(source)
            if info.st_mode & S_IFMT == S_IFDIR { try TreeCopy.copyMetadata(source, to: upper + "/" + relative, info: info) }
        }
    }
}

extension CopiedRootfs.Seen {
    init(_ info: stat) {
        self.init(inode: UInt64(info.st_ino), changeSeconds: info.st_ctim.tv_sec, changeNanoseconds: info.st_ctim.tv_nsec,
                  isDirectory: info.st_mode & S_IFMT == S_IFDIR)
    }
}

/// Copying trees with their owners, modes, times and extended attributes (never following symlinks).
enum TreeCopy {
    static func parent(of relative: String) -> String {
        guard let slash = relative.lastIndex(of: "/") else { return "" }
        return String(relative[..<slash])
    }

    static func check(_ result: Int32, _ operation: String, _ path: String) throws {
        if result != 0 { throw ContainerRuntimeError.system(.mount, "copied root filesystem: \(operation)", path: path) }
    }

    static func lstatInfo(_ path: String) throws -> stat {
        var info = stat()
        try check(lstat(path, &info), "lstat", path)
        return info
    }

    static func names(in directory: String) throws -> [String] {
        guard let handle = opendir(directory) else { throw ContainerRuntimeError.system(.mount, "copied root filesystem: opendir", path: directory) }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Calls `visit` for every entry under `root` (parents before children), staying on `root`'s filesystem.
    static func walk(_ root: String, _ visit: (String, stat) throws -> Void) throws {
        let device = try lstatInfo(root).st_dev
        func descend(_ relative: String) throws {
            let directory = relative.isEmpty ? root : root + "/" + relative
            for name in try names(in: directory) {
                let child = relative.isEmpty ? name : relative + "/" + name
                let info = try lstatInfo(root + "/" + child)
                try visit(child, info)
                if info.st_mode & S_IFMT == S_IFDIR, info.st_dev == device { try descend(child) }
            }
        }
        try descend("")
    }

    /// Applies one overlay-format layer directory (whiteouts, opaque markers) onto `target`.
    static func merge(layer: String, into target: String, relative: String) throws {
        let directory = relative.isEmpty ? layer : layer + "/" + relative
        for name in try names(in: directory) {
            let child = relative.isEmpty ? name : relative + "/" + name
            let source = layer + "/" + child, destination = target + "/" + child
            let info = try lstatInfo(source)
            let kind = info.st_mode & S_IFMT
            if kind == S_IFCHR && info.st_rdev == 0 {  // a whiteout
                try remove(destination)
                continue
            }
            if kind == S_IFREG, info.st_size == 0, name.hasPrefix(".wh.") {
                // fuse-overlayfs's whiteout file, or its opaque marker (read with the directory), where
                // the store's filesystem refuses whiteout devices.
                if name != ".wh..wh..opq" { try remove(target + "/" + (relative.isEmpty ? "" : relative + "/") + String(name.dropFirst(4))) }
                continue
            }
            if kind == S_IFDIR {
                var existing = stat()
                let exists = lstat(destination, &existing) == 0
                if exists && (isOpaque(source) || existing.st_mode & S_IFMT != S_IFDIR) { try remove(destination) }
                if lstat(destination, &existing) != 0 { try check(mkdir(destination, 0o700), "mkdir", destination) }
                try merge(layer: layer, into: target, relative: child)
                try copyMetadata(source, to: destination, info: info)
            } else {
                try remove(destination)
                try copyEntry(source, to: destination, info: info)
            }
        }
    }

    static func isOpaque(_ path: String) -> Bool {
        var marker = stat()
        if lstat(path + "/.wh..wh..opq", &marker) == 0, marker.st_mode & S_IFMT == S_IFREG { return true }
        for prefix in ["trusted.overlay.", "user.overlay."] {
            var value: UInt8 = 0
            if lgetxattr(path, prefix + "opaque", &value, 1) == 1, value == UInt8(ascii: "y") { return true }
        }
        return false
    }

    /// Copies a non-directory entry (regular file, symlink, fifo, device) with its metadata.
    static func copyEntry(_ source: String, to destination: String, info: stat) throws {
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            try copyFile(source, to: destination)
        case S_IFLNK:
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = readlink(source, &buffer, buffer.count - 1)
            guard length >= 0 else { throw ContainerRuntimeError.system(.mount, "copied root filesystem: readlink", path: source) }
            buffer[length] = 0
            try check(symlink(buffer, destination), "symlink", destination)
        case S_IFIFO:
            try check(mkfifo(destination, 0o600), "mkfifo", destination)
        case S_IFCHR, S_IFBLK:
            try check(mknod(destination, info.st_mode & S_IFMT | 0o600, info.st_rdev), "mknod", destination)
        default:
            return  // sockets are not kept, as in layers
        }
        try copyMetadata(source, to: destination, info: info)
    }

    static func copyFile(_ source: String, to destination: String) throws {
        let input = open(source, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard input >= 0 else { throw ContainerRuntimeError.system(.mount, "copied root filesystem: open", path: source) }
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard output >= 0 else { throw ContainerRuntimeError.system(.mount, "copied root filesystem: create", path: destination) }
        defer { close(output) }
        if kiln_copy_file_range_all(input, output) == 0 { return }
        // Not supported between these filesystems (nothing was copied then): read and write.
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count == 0 { return }
            if count < 0 {
                if errno == EINTR { continue }
                throw ContainerRuntimeError.system(.mount, "copied root filesystem: read", path: source)
            }
            var written = 0
            while written < count {
                let n = buffer.withUnsafeBytes { write(output, $0.baseAddress! + written, count - written) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw ContainerRuntimeError.system(.mount, "copied root filesystem: write", path: destination)
                }
                written += n
            }
        }
    }

    /// Owner, mode, extended attributes (overlayfs's own left out) and times of `source` onto `destination`.
    static func copyMetadata(_ source: String, to destination: String, info: stat) throws {
        try check(lchown(destination, info.st_uid, info.st_gid), "chown", destination)
        let isLink = info.st_mode & S_IFMT == S_IFLNK
        if !isLink { try check(chmod(destination, info.st_mode & 0o7777), "chmod", destination) }
        try copyXattrs(source, to: destination)
        var times = [info.st_atim, info.st_mtim]
        try check(utimensat(AT_FDCWD, destination, &times, AT_SYMLINK_NOFOLLOW), "set times", destination)
    }

    static func copyXattrs(_ source: String, to destination: String) throws {
        let size = llistxattr(source, nil, 0)
        guard size > 0 else { return }
        var list = [CChar](repeating: 0, count: size)
        let got = llistxattr(source, &list, size)
        guard got > 0 else { return }
        let names = list[0..<got].split(separator: 0).map { String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        for name in names where !name.hasPrefix("trusted.overlay.") && !name.hasPrefix("user.overlay.") {
            let length = lgetxattr(source, name, nil, 0)
            guard length >= 0 else { continue }
            var value = [UInt8](repeating: 0, count: max(length, 1))
            let read = lgetxattr(source, name, &value, value.count)
            guard read >= 0 else { continue }
            if lsetxattr(destination, name, value, read, 0) != 0 {
                if name.hasPrefix("trusted.") && errno == EPERM { continue }  // not settable in a user namespace
                throw ContainerRuntimeError.system(.mount, "copied root filesystem: set \(name)", path: destination)
            }
        }
    }

    /// Removes `path` (a whole tree for a directory); nothing when it does not exist.
    static func remove(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if info.st_mode & S_IFMT == S_IFDIR {
            _ = chmod(path, 0o700)  // a read-only directory's children can be removed
            try removeChildren(of: path)
            try check(rmdir(path), "rmdir", path)
        } else {
            try check(unlink(path), "unlink", path)
        }
    }

    static func removeChildren(of directory: String) throws {
        for name in try names(in: directory) { try remove(directory + "/" + name) }
    }
}
