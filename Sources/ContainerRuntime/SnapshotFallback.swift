import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Which kind of mount ``OverlayMount`` makes for a root filesystem over snapshots, and the note
/// that says so. In order: the kernel's overlayfs; where the kernel refuses the overlay mount (a
/// rootless store on a filesystem that cannot hold an upper directory, such as an overlay root
/// filesystem in a container), fuse-overlayfs (``FuseOverlay``) when it is installed and /dev/fuse is
/// open to kiln; else copying the trees (``CopiedRootfs``). `KILN_SNAPSHOTS=overlay|fuse|copy`
/// forces one, refused with the reason when it cannot be used. The first fallback says which tier is
/// used and why on standard error, once per store when the CLI names the store (`noteMarker`), else
/// once per process.
public enum SnapshotFallback {
    /// The environment variable that forces a tier.
    public static let variable = "KILN_SNAPSHOTS"

    public enum Mode: String, Sendable, CaseIterable {
        case overlay, fuse, copy
    }

    /// The tier `KILN_SNAPSHOTS` forces (nil: choose); a value that is not a tier is refused.
    static func forcedMode() throws -> Mode? {
        guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else { return nil }
        guard let mode = Mode(rawValue: value) else {
            throw ContainerRuntimeError(.invalidUse, "\(variable)=\(value) is not a snapshot mode: use overlay, fuse or copy")
        }
        return mode
    }

    /// A file whose existence means the note was already given for this store (set by the CLI).
    public static let noteMarker = Mutex<String?>(nil)
    private static let noted = Mutex(false)

    /// The mount errors that mean "overlayfs cannot be used here", not a mistake of kiln's.
    static func applies(to error: ContainerRuntimeError) -> Bool {
        guard error.kind == .mount, error.message.hasPrefix("mount overlay"), let code = error.errno else { return false }
        return [EINVAL, EPERM, ENODEV, EOPNOTSUPP, EACCES, ENOSYS].contains(code)
    }

    /// The note for falling back from the kernel's overlayfs (refused with `error`) to `mode`;
    /// `fuseReason` says why fuse-overlayfs was passed over for copying.
    static func note(falling error: ContainerRuntimeError, to mode: Mode, fuseReason: String? = nil) -> String {
        let reason = error.errno.map { String(cString: strerror($0)) } ?? error.message
        let advice = "Put the store (--root, KILN_ROOT) on a filesystem that can hold an overlay upper directory (ext4, xfs, "
            + "btrfs, tmpfs; not the overlay root of a container: use a volume)"
        switch mode {
        case .fuse:
            return "note: overlayfs cannot be mounted for this store (\(reason)); kiln mounts root filesystems with "
                + "fuse-overlayfs instead (same layers, slower file access). \(advice)"
        default:
            return "note: overlayfs cannot be mounted for this store (\(reason)); kiln copies root filesystems instead "
                + "(slower, same layers; fuse-overlayfs not used: \(fuseReason ?? "not tried")). \(advice)"
        }
    }

    static func noteOnce(_ text: String) {
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
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
