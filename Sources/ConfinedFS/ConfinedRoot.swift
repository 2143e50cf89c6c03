import CConfinedFS
#if canImport(Glibc)
import Glibc
#endif

/// A directory that is the root filesystem of an image or container, opened once, through
/// which every host-side access to that tree goes.
///
/// Every path given to it is resolved by the kernel's `openat2(2)` relative to the root's
/// descriptor, with one of two policies:
///
/// - `.inRoot` (`RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS`): as if the root were `/` — an
///   absolute path or symlink target starts again at the root, `..` stops at the root (so a
///   symlink to `/..`, `../../..` or `/proc/self/root` stays inside), and procfs magic links are
///   refused. This is how BuildKit and the container itself see the tree.
/// - `.noSymlinks` (`RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS`): for raw
///   layer directories (an overlay's upper directory) where a symlink is data, never a way:
///   any symlink on the way, or `..` above the root, fails (`ELOOP`/`EXDEV`).
///
/// A path string under the root is never handed to the kernel: every result is a descriptor
/// (`ConfinedFD`) or a value read through one, and changes (`fchown`, `fchmod`, `mkdirat`,
/// `unlinkat`) are made relative to descriptors that were themselves reached inside the root.
/// The final component is followed only where the method says so.
///
/// Errors are `ConfinedFSError` carrying the `errno`; more than 40 symlinks fail with `ELOOP`.
/// A path longer than openat2 takes (PATH_MAX) is resolved in steps with the same meaning
/// (`ConfinedRoot+LongPaths.swift`).
public final class ConfinedRoot: @unchecked Sendable {
    public enum Policy: Sendable {
        case inRoot
        case noSymlinks
    }

    /// An `O_PATH` descriptor of the root directory.
    public let fd: Int32
    /// The root's host path, for messages only.
    public let hostPath: String
    public let policy: Policy

    /// Opens `hostPath` (a directory the caller trusts, e.g. a mount point kiln made).
    public init(_ hostPath: String, policy: Policy = .inRoot) throws {
        let fd = Glibc.open(hostPath, KILN_O_PATH | KILN_O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw ConfinedFSError("open root", hostPath, errno: errno) }
        self.fd = fd
        self.hostPath = hostPath
        self.policy = policy
    }

    deinit { close(fd) }

    private var resolveFlags: UInt64 {
        switch policy {
        case .inRoot: UInt64(KILN_RESOLVE_IN_ROOT | KILN_RESOLVE_NO_MAGICLINKS)
        case .noSymlinks: UInt64(KILN_RESOLVE_BENEATH | KILN_RESOLVE_NO_SYMLINKS | KILN_RESOLVE_NO_MAGICLINKS)
        }
    }

    /// The path as openat2 gets it: relative (`.noSymlinks` refuses absolute names), "." for the root.
    private func relative(_ path: String) -> String {
        let trimmed = path.drop(while: { $0 == "/" })
        return trimmed.isEmpty ? "." : String(trimmed)
    }

    /// Opens `path` inside the root with open(2) `flags` (`O_CLOEXEC` is added; `O_NOFOLLOW`
    /// when `followFinal` is false: a final symlink is then opened itself with `O_PATH`, else
    /// fails with `ELOOP`). `O_CREAT` creates the final component inside the root.
    public func open(_ path: String, flags: Int32 = KILN_O_PATH, mode: mode_t = 0, followFinal: Bool = true) throws -> ConfinedFD {
        let relativePath = relative(path)
        if Self.needsSteps(relativePath) {
            return try openInSteps(relativePath, flags: flags, mode: mode, followFinal: followFinal)
        }
        var all = flags | O_CLOEXEC
        if !followFinal { all |= KILN_O_NOFOLLOW }
        let fd = kiln_openat2(self.fd, relativePath, UInt64(UInt32(bitPattern: all)), UInt64(mode), resolveFlags)
        guard fd >= 0 else { throw ConfinedFSError("open", path, errno: errno) }
        return ConfinedFD(fd: fd)
    }

    /// `open`, but nil when the path (or a directory on the way) does not exist.
    public func openIfPresent(_ path: String, flags: Int32 = KILN_O_PATH, followFinal: Bool = true) throws -> ConfinedFD? {
        do {
            return try open(path, flags: flags, followFinal: followFinal)
        } catch let error as ConfinedFSError where error.isMissing {
            return nil
        }
    }

    /// The directory `path` as an `O_PATH` descriptor (symlinks followed inside the root).
    public func openDirectory(_ path: String) throws -> ConfinedFD {
        try open(path, flags: KILN_O_PATH | KILN_O_DIRECTORY)
    }

    /// A path split into its parent directory and its last component, lexically (no cleaning:
    /// `..` keeps its physical meaning). The last component is nil when it is the root, `.` or `..`.
    static func split(_ path: String) -> (parent: String, name: String?) {
        let parts = components(path)
        guard let last = parts.last, last != "..", last != "." else { return (path, nil) }
        return ("/" + parts.dropLast().joined(separator: "/"), last)
    }

    /// The non-empty components of `path`.
    static func components(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    /// The parent directory of `path`'s last component and that component's name; throws
    /// `EINVAL` when the path ends at the root, `.` or `..` (there is no entry to act on).
    func parentAndName(_ path: String, operation: String) throws -> (ConfinedFD, String) {
        let (parent, name) = Self.split(path)
        guard let name else { throw ConfinedFSError(operation, path, errno: EINVAL) }
        return (try openDirectory(parent), name)
    }
}
