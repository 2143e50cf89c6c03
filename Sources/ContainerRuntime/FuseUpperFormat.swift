import CUserNamespace
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Rewrites an upper directory written by fuse-overlayfs into kernel overlayfs's format, the one
/// kiln's store, the layer diff (`LayerDiff.entries(fromOverlayUpper:)`) and the copying fallback
/// read: a deletion is a 0:0 character device, an opaque directory carries `trusted.overlay.opaque`
/// (`user.overlay.opaque` in kiln's user namespace).
///
/// What fuse-overlayfs 1.10 writes (seen on Linux 6.18, as root and as uid 0 of a user namespace):
/// - a deletion: a 0:0 character device when mknod allows it (both cases on ext4 and tmpfs), else
///   an empty regular file `.wh.NAME` (a store on an overlay mount, such as a container's root, where
///   overlayfs refuses whiteout devices even to root);
/// - a directory removed and made again (opaque): `trusted.overlay.opaque=y` as host root,
///   `user.fuseoverlayfs.opaque=y` in a user namespace, and in both cases also an empty file
///   `.wh..wh..opq` and a 0:0 character device `.wh..opq` in the directory;
/// - `user.fuseoverlayfs.origin` on copied-up files (its own bookkeeping).
///
/// Each becomes the kernel's form where the store's filesystem can hold it; where it cannot (mknod or
/// the opaque xattr refused), the `.wh.NAME` file or a `.wh..wh..opq` file stays, which fuse-overlayfs
/// reads in lower layers and the layer diff reads with `LayerDiffOptions.whiteoutFiles` (``OverlayMount/isFuse``).
/// fuse-overlayfs's own markers and xattrs are removed, and the
/// directories touched keep their times. fuse-overlayfs also marks every directory it creates opaque,
/// even where nothing lies below; the kernel marks only a directory made where the lower layers
/// have an entry (over a whiteout), and so does this rewrite, so that both give the same layer.
enum FuseUpperFormat {
    static let opaqueXattr = "user.fuseoverlayfs.opaque"
    static let originXattr = "user.fuseoverlayfs.origin"
    static let markerNames: Set<String> = [".wh..wh..opq", ".wh..opq"]

    /// Rewrites `upper`, mounted over `lowerDirs` (base first).
    static func normalize(_ upper: String, lowerDirs: [String]) throws {
        let prefix = UserNamespaceMap.current.isInitial ? "trusted.overlay." : "user.overlay."
        try normalizeDirectory(upper, relative: "", lowers: lowerDirs.reversed(), opaquePrefix: prefix)
    }

    private static func normalizeDirectory(_ directory: String, relative: String, lowers: [String], opaquePrefix: String) throws {
        let info = try TreeCopy.lstatInfo(directory)
        var changed = false
        var opaque = false
        if hasValueY(directory, opaqueXattr) {
            opaque = true
            _ = lremovexattr(directory, opaqueXattr)
        }
        for name in try TreeCopy.names(in: directory) {
            let path = directory + "/" + name
            let entry = try TreeCopy.lstatInfo(path)
            let kind = entry.st_mode & S_IFMT
            if markerNames.contains(name) {
                try TreeCopy.remove(path)
                opaque = true
                changed = true
            } else if name.hasPrefix(".wh."), kind == S_IFREG {
                let hidden = directory + "/" + String(name.dropFirst(4))
                try TreeCopy.remove(hidden)
                if mknod(hidden, S_IFCHR | 0o000, 0) == 0 {
                    try TreeCopy.remove(path)
                    changed = true
                } else if errno != EPERM && errno != EOPNOTSUPP {
                    throw ContainerRuntimeError.system(.mount, "fuse-overlayfs upper directory: make the whiteout for \(name)", path: hidden)
                }  // else the filesystem refuses whiteout devices: the .wh. file stays
            } else if kind == S_IFDIR {
                try normalizeDirectory(path, relative: relative.isEmpty ? name : relative + "/" + name, lowers: lowers,
                                       opaquePrefix: opaquePrefix)
            } else if kind != S_IFLNK {
                _ = lremovexattr(path, originXattr)
            }
        }
        _ = lremovexattr(directory, originXattr)
        if !relative.isEmpty, !existsBelow(relative, lowers: lowers) {
            // Nothing to hide: as the kernel, no opaque marker (fuse-overlayfs sets one on every new directory).
            opaque = false
            for name in ["trusted.overlay.opaque", "user.overlay.opaque"] where hasValueY(directory, name) {
                try TreeCopy.check(lremovexattr(directory, name), "remove the opaque marker", directory)
            }
        } else if opaque, !hasValueY(directory, "trusted.overlay.opaque"), !hasValueY(directory, "user.overlay.opaque") {
            if lsetxattr(directory, opaquePrefix + "opaque", "y", 1, 0) != 0 {
                guard errno == EPERM || errno == EOPNOTSUPP else {
                    throw ContainerRuntimeError.system(.mount, "fuse-overlayfs upper directory: set the opaque marker", path: directory)
                }
                // The filesystem refuses the xattr: fuse-overlayfs's own marker file says it.
                let marker = directory + "/.wh..wh..opq"
                let fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0)
                guard fd >= 0 else { throw ContainerRuntimeError.system(.mount, "fuse-overlayfs upper directory: mark opaque", path: marker) }
                close(fd)
                changed = true
            }
        }
        if changed {
            var times = [info.st_atim, info.st_mtim]
            try TreeCopy.check(utimensat(AT_FDCWD, directory, &times, AT_SYMLINK_NOFOLLOW), "set times", directory)
        }
    }

    /// Whether `relative` names an entry in the merged view of `lowers` (TOP first): found in a layer
    /// before a whiteout for it, or an opaque or non-directory parent, hides the layers below.
    static func existsBelow(_ relative: String, lowers: [String]) -> Bool {
        let parts = relative.split(separator: "/").map(String.init)
        var active = lowers
        for index in parts.indices {
            let prefix = parts[0...index].joined(separator: "/")
            var next: [String] = []
            for layer in active {
                var info = stat()
                let parent = index == 0 ? layer : layer + "/" + parts[0..<index].joined(separator: "/")
                if lstat(parent + "/.wh." + parts[index], &info) == 0 { break }  // fuse-overlayfs's whiteout file
                guard lstat(layer + "/" + prefix, &info) == 0 else { continue }
                let kind = info.st_mode & S_IFMT
                if kind == S_IFCHR && info.st_rdev == 0 { break }  // a whiteout
                if index == parts.count - 1 { return true }
                guard kind == S_IFDIR else { break }
                next.append(layer)
                if TreeCopy.isOpaque(layer + "/" + prefix) || lstat(layer + "/" + prefix + "/.wh..wh..opq", &info) == 0 { break }
            }
            if next.isEmpty { return false }
            active = next
        }
        return false
    }

    private static func hasValueY(_ path: String, _ name: String) -> Bool {
        var value: UInt8 = 0
        return lgetxattr(path, name, &value, 1) == 1 && value == UInt8(ascii: "y")
    }
}
