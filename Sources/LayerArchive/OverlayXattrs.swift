import Foundation

/// Which xattr namespace overlayfs keeps its own metadata (opaque directories, redirects, metacopy)
/// in for kiln's snapshots: `trusted.overlay.` for the host's root; `user.overlay.` inside a user
/// namespace (rootless kiln), where `trusted.*` cannot be written and overlay is mounted with the
/// `userxattr` option. Readers check both: a marker kiln did not write is never present, because
/// layers never carry overlay xattrs (`LayerApplier` drops them).
public enum OverlayXattrs {
    /// The prefix kiln writes, for this process.
    public static let prefix: String = inInitialUserNamespace ? "trusted.overlay." : "user.overlay."

    /// Both prefixes, for reading.
    public static let prefixes = ["trusted.overlay.", "user.overlay."]

    /// fuse-overlayfs's own bookkeeping (`user.fuseoverlayfs.origin`, `.opaque`), never part of a layer.
    public static let fusePrefix = "user.fuseoverlayfs."

    /// Whether this process is in the host's (initial) user namespace: its uid map is the identity
    /// over all 2^32-1 ids.
    public static let inInitialUserNamespace: Bool = {
        guard let map = try? String(contentsOfFile: "/proc/self/uid_map", encoding: .utf8) else { return true }
        let fields = map.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
        return fields == ["0", "0", "4294967295"]
    }()

    /// The value of overlay attribute `name` ("opaque", "redirect", "metacopy") at `path`, in either
    /// namespace.
    static func get(_ path: String, _ name: String) throws -> [UInt8]? {
        for prefix in prefixes {
            if let value = try Xattrs.get(path, prefix + name) { return value }
        }
        return nil
    }
}
