import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// When ``OverlayMount`` copies trees instead of mounting overlayfs (``CopiedRootfs``): when the
/// kernel refuses the overlay mount itself (a rootless store on a filesystem that cannot hold an
/// upper directory, such as an overlay root filesystem in a container), or always with
/// `KILN_SNAPSHOTS=copy`. The first fallback says so on standard error, once per store when the
/// CLI names the store (`noteMarker`), else once per process.
public enum SnapshotFallback {
    /// The environment variable that forces copying (`copy`).
    public static let variable = "KILN_SNAPSHOTS"

    static var forced: Bool { ProcessInfo.processInfo.environment[variable] == "copy" }

    /// A file whose existence means the note was already given for this store (set by the CLI).
    public static let noteMarker = Mutex<String?>(nil)
    private static let noted = Mutex(false)

    /// The mount errors that mean "overlayfs cannot be used here", not a mistake of kiln's.
    static func applies(to error: ContainerRuntimeError) -> Bool {
        guard error.kind == .mount, error.message.hasPrefix("mount overlay"), let code = error.errno else { return false }
        return [EINVAL, EPERM, ENODEV, EOPNOTSUPP, EACCES, ENOSYS].contains(code)
    }

    static func noteOnce(_ error: ContainerRuntimeError) {
        let first = noted.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        let marker = noteMarker.withLock { $0 }
        if let marker {
            guard access(marker, F_OK) != 0 else { return }
            _ = FileManager.default.createFile(atPath: marker, contents: Data())
        }
        let reason = error.errno.map { String(cString: strerror($0)) } ?? error.message
        FileHandle.standardError.write(Data(("note: overlayfs cannot be mounted for this store (\(reason)); kiln copies "
            + "root filesystems instead (slower, same layers). Put the store (--root, KILN_ROOT) on a filesystem that "
            + "can hold an overlay upper directory (ext4, xfs, btrfs, tmpfs; not the overlay root of a container: use "
            + "a volume)\n").utf8))
    }
}
