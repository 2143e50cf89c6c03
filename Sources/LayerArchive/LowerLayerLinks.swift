import ConfinedFS
import CZlib
#if canImport(Glibc)
import Glibc
#endif

/// Hard links to files of lower layers. A layer unpacked into its own snapshot folder may hard-link
/// a path that only a layer below it has (Docker applies each layer over the merged view of the
/// ones below, so such links work there). When the link target is not in the folder being
/// applied, it is looked up in ``LayerApplyOptions/lowerLayers`` as overlayfs would merge them —
/// topmost first, stopping at a whiteout or below an opaque directory — and copied (a regular
/// file, with its mode, owner and times) or re-created (a symlink). A link cannot span snapshot
/// folders: the lower snapshot must never change.
extension ApplySession {
    /// Creates `name` in `dir` from the lower-layer entry `target` names; false when no lower
    /// layer has it.
    func linkFromLowerLayers(_ target: [String], in dir: Int32, name: String, entry: String) throws -> Bool {
        guard let targetName = target.last else { return false }
        for lower in options.lowerLayers.reversed() {
            guard let lowerRoot = try? ConfinedRoot(lower) else { continue }
            switch try lookUp(targetName, parent: Array(target.dropLast()), in: lowerRoot, entry: entry) {
            case .missing: continue
            case .hidden: return false
            case .found(let parent):
                try withExtendedLifetime(parent) {
                    try copyEntry(from: parent.fd, targetName, to: dir, name, entry: entry)
                }
                return true
            }
        }
        return false
    }

    private enum LowerLookup {
        case found(ConfinedFD)
        /// Not in this layer: look further down.
        case missing
        /// Deleted by this layer (a whiteout) or hidden under an opaque directory: nowhere below.
        case hidden
    }

    private func lookUp(_ name: String, parent: [String], in root: ConfinedRoot, entry: String) throws -> LowerLookup {
        // An opaque directory on the way hides everything lower layers have under it.
        var opaqueOnTheWay = false
        for end in stride(from: parent.count, through: 1, by: -1) {
            if let dir = try? root.layerDirectory(Array(parent.prefix(end)), create: false, entry: entry) {
                var flag: UInt8 = 0
                for prefix in OverlayXattrs.prefixes
                where fgetxattr(dir.fd, prefix + "opaque", &flag, 1) == 1 && flag == UInt8(ascii: "y") { opaqueOnTheWay = true }
            }
        }
        guard let dir = try? root.layerDirectory(parent, create: false, entry: entry) else {
            return opaqueOnTheWay ? .hidden : .missing
        }
        var info = stat()
        guard fstatat(dir.fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            return opaqueOnTheWay ? .hidden : .missing
        }
        if info.st_mode & S_IFMT == S_IFCHR && info.st_rdev == 0 { return .hidden }  // overlay whiteout
        return .found(dir)
    }

    /// Copies the regular file or symlink `sourceName` in `sourceDir` to `name` in `dir`.
    private func copyEntry(from sourceDir: Int32, _ sourceName: String, to dir: Int32, _ name: String, entry: String) throws {
        var info = stat()
        guard fstatat(sourceDir, sourceName, &info, AT_SYMLINK_NOFOLLOW) == 0 else { throw LayerArchiveError.system("stat hardlink target") }
        switch info.st_mode & S_IFMT {
        case S_IFLNK:
            let target = try LayerPath.readLink(sourceDir, sourceName, entry: entry)
            guard symlinkat(target, dir, name) == 0 else { throw LayerArchiveError.system("symlink") }
            if options.preserveOwnership { _ = fchownat(dir, name, info.st_uid, info.st_gid, AT_SYMLINK_NOFOLLOW) }
        case S_IFREG:
            let input = openat(sourceDir, sourceName, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            guard input >= 0 else { throw LayerArchiveError.system("open hardlink target") }
            let source = FileDescriptor(fd: input)
            let output = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard output >= 0 else { throw LayerArchiveError.system("create file") }
            let copy = FileDescriptor(fd: output)
            try withExtendedLifetime((source, copy)) {
                var buffer = [UInt8](repeating: 0, count: 1 << 16)
                while true {
                    let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
                    if n < 0 { if errno == EINTR { continue }; throw LayerArchiveError.system("read hardlink target") }
                    if n == 0 { break }
                    var done = 0
                    while done < n {
                        let w = buffer.withUnsafeBytes { write(output, $0.baseAddress! + done, n - done) }
                        if w < 0 { if errno == EINTR { continue }; throw LayerArchiveError.system("write") }
                        done += w
                    }
                }
                if options.preserveOwnership, fchown(output, info.st_uid, info.st_gid) != 0 { throw LayerArchiveError.system("chown") }
                guard fchmod(output, info.st_mode & 0o7777) == 0 else { throw LayerArchiveError.system("chmod") }
                var times = [info.st_atim, info.st_mtim]
                guard futimens(output, &times) == 0 else { throw LayerArchiveError.system("futimens") }
            }
        default:
            throw LayerArchiveError(.unsupported, "hardlink to a lower layer's special file is not supported", entry: entry)
        }
    }
}
