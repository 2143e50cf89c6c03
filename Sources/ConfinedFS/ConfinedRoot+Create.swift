import CConfinedFS
#if canImport(Glibc)
import Glibc
#endif

/// The owner and mode given to what a `ConfinedRoot` creates.
public struct Ownership: Sendable, Equatable {
    public var uid: UInt32
    public var gid: UInt32

    public init(uid: UInt32, gid: UInt32) {
        self.uid = uid
        self.gid = gid
    }
}

// Creating entries: always with `mkdirat`/`openat` on a single name relative to a directory
// descriptor reached inside the root.
extension ConfinedRoot {
    /// The limit of symlinks followed by one `mkdirAll` or `createFile`, as the kernel's.
    public static let maxSymlinks = 40

    /// `mkdir -p` inside the root: the directory `path` with every symlink on the way followed
    /// inside the root (a dangling one is followed too: its target is created, as BuildKit's
    /// `MkdirAll` on a root-resolved path does). Each directory it creates gets `mode` (exactly:
    /// not filtered by the umask) and, when given, `owner`; existing ones are left as they are.
    ///
    /// - Returns: an `O_PATH` descriptor of the directory.
    /// - Throws: `ENOTDIR` when a component is not a directory, `ELOOP` after too many symlinks.
    @discardableResult
    public func mkdirAll(_ path: String, mode: mode_t = 0o755, owner: Ownership? = nil) throws -> ConfinedFD {
        switch try walk(path, create: true, mode: mode, owner: owner) {
        case .directory(let handle): return handle
        case .missing: throw ConfinedFSError("mkdir", path, errno: ENOENT)
        }
    }

    /// Where `path` is or would be, as an absolute path inside the root without symlinks: every
    /// existing symlink followed (a dangling one too), missing components appended as named.
    /// Creates nothing. Throws `ENOTDIR` when a component is not a directory, `ELOOP` after
    /// too many symlinks.
    public func locate(_ path: String) throws -> String {
        if let existing = try openIfPresent(path) { return try pathInRoot(of: existing) }
        switch try walk(path, create: false, mode: 0, owner: nil) {
        case .directory(let handle):
            return try pathInRoot(of: handle)
        case .missing(let parent, let rest):
            var place = Self.components(try pathInRoot(of: parent))
            for name in rest where name != "." {
                if name == ".." { _ = place.popLast() } else { place.append(name) }
            }
            return "/" + place.joined(separator: "/")
        }
    }

    private enum WalkEnd {
        case directory(ConfinedFD)
        /// The first missing component's existing parent, and the components from it on.
        case missing(parent: ConfinedFD, rest: [String])
    }

    /// The walk behind `mkdirAll` and `locate`: opens the directory `path`, following every
    /// symlink inside the root (dangling ones too), creating what is missing when `create`.
    private func walk(_ path: String, create: Bool, mode: mode_t, owner: Ownership?) throws -> WalkEnd {
        var components = Self.components(path)
        var links = 0
        var attempts = 0
        while true {
            attempts += 1
            guard attempts < 4096 else { throw ConfinedFSError("mkdir", path, errno: EAGAIN) }
            if let found = try openDirectoryIfPresent(components, original: path) { return .directory(found) }
            // Find the first missing component: its parent exists.
            var parent = try openDirectory("/")
            var index = 0
            while index < components.count {
                guard let next = try openDirectoryIfPresent(Array(components[...index]), original: path) else { break }
                parent = next
                index += 1
            }
            guard index < components.count else { continue }  // appeared meanwhile
            let name = components[index]
            if name != "." && name != ".." {
                if !create {
                    var info = Glibc.stat()
                    if fstatat(parent.fd, name, &info, AT_SYMLINK_NOFOLLOW) != 0 {
                        guard errno == ENOENT else { throw ConfinedFSError("stat", path, errno: errno) }
                        // Below a missing directory everything is missing, so `name/..` pairs
                        // cancel; a `..` that climbs back over it goes on physically.
                        var rest: [String] = []
                        for part in components[index...] where part != "." {
                            if part == "..", let last = rest.last, last != ".." { rest.removeLast() } else { rest.append(part) }
                        }
                        if rest.first == name { return .missing(parent: parent, rest: rest) }
                        components = Array(components[..<index]) + rest
                        continue
                    }
                } else if mkdirat(parent.fd, name, 0o700) == 0 {
                    try finishDirectory(parent, name, mode: mode, owner: owner, path: path)
                    continue
                } else {
                    guard errno == EEXIST else { throw ConfinedFSError("mkdir", path, errno: errno) }
                }
            }
            // It exists but does not open as a directory: a dangling symlink, else a race.
            var info = Glibc.stat()
            guard fstatat(parent.fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            guard info.st_mode & S_IFMT == S_IFLNK else {
                if info.st_mode & S_IFMT == S_IFDIR { continue }
                throw ConfinedFSError("mkdir", path, errno: ENOTDIR)
            }
            guard policy == .inRoot else { throw ConfinedFSError("mkdir", path, errno: ELOOP) }
            links += 1
            guard links <= Self.maxSymlinks else { throw ConfinedFSError("mkdir", path, errno: ELOOP) }
            let target = try Self.readlink(parent.fd, name, path: path)
            let rest = components[(index + 1)...]
            let base = target.hasPrefix("/") ? [] : Array(components[..<index])
            components = base + Self.components(target) + rest
        }
    }

    /// Opens the created directory `name` in `parent` without following anything, then sets
    /// its owner and mode through that descriptor.
    private func finishDirectory(_ parent: ConfinedFD, _ name: String, mode: mode_t, owner: Ownership?, path: String) throws {
        let fd = openat(parent.fd, name, O_RDONLY | KILN_O_DIRECTORY | KILN_O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw ConfinedFSError("open", path, errno: errno) }
        defer { close(fd) }
        if let owner, fchown(fd, owner.uid, owner.gid) != 0 { throw ConfinedFSError("chown", path, errno: errno) }
        guard fchmod(fd, mode) == 0 else { throw ConfinedFSError("chmod", path, errno: errno) }
    }

    private func openDirectoryIfPresent(_ components: [String], original: String) throws -> ConfinedFD? {
        do {
            return try openDirectory("/" + components.joined(separator: "/"))
        } catch let error as ConfinedFSError where error.errno == ENOENT {
            return nil
        } catch let error as ConfinedFSError {
            throw ConfinedFSError("mkdir", original, errno: error.errno)
        }
    }

    /// Creates the regular file `path` (its directory must exist; symlinks on the way followed
    /// inside the root) with `mode` (exactly) and `owner`, opened with `flags` (e.g. `O_WRONLY`).
    /// The last component is never followed: an existing entry there — a symlink too — fails
    /// with `EEXIST`, so a planted link cannot redirect the write.
    public func createFile(_ path: String, flags: Int32 = O_WRONLY, mode: mode_t = 0o644, owner: Ownership? = nil) throws -> ConfinedFD {
        let (parent, name) = try parentAndName(path, operation: "create")
        let fd = openat(parent.fd, name, flags | O_CREAT | O_EXCL | KILN_O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ConfinedFSError("create", path, errno: errno) }
        let handle = ConfinedFD(fd: fd)
        if let owner, fchown(fd, owner.uid, owner.gid) != 0 { throw ConfinedFSError("chown", path, errno: errno) }
        guard fchmod(fd, mode) == 0 else { throw ConfinedFSError("chmod", path, errno: errno) }
        return handle
    }

    /// Makes sure a mount target exists, the way the OCI runtime would create it, and returns
    /// its path inside the root with every symlink resolved (what to hand the runtime as the
    /// mount's destination). A missing directory target is made with `mkdirAll` (mode 0755,
    /// `owner`); a missing file target (`directory` false) gets its parent directories and an
    /// empty file (mode 0755, as runc makes them). An existing target is kept whatever it is.
    public func mountpoint(_ path: String, directory: Bool, owner: Ownership? = nil) throws -> String {
        var current = path
        for _ in 0...Self.maxSymlinks {
            if let existing = try openIfPresent(current) { return try pathInRoot(of: existing) }
            if directory { return try pathInRoot(of: try mkdirAll(current, owner: owner)) }
            let (parentPath, name) = Self.split(current)
            guard let name else { return try pathInRoot(of: try mkdirAll(current, owner: owner)) }
            let parent = try mkdirAll(parentPath, owner: owner)
            let parentInRoot = try pathInRoot(of: parent)
            let fd = openat(parent.fd, name, O_WRONLY | O_CREAT | O_EXCL | KILN_O_NOFOLLOW | O_CLOEXEC, 0o600)
            if fd >= 0 {
                defer { close(fd) }
                if let owner { _ = fchown(fd, owner.uid, owner.gid) }
                _ = fchmod(fd, 0o755)
                return parentInRoot == "/" ? "/" + name : parentInRoot + "/" + name
            }
            guard errno == EEXIST else { throw ConfinedFSError("create", path, errno: errno) }
            // A dangling symlink: follow it inside the root, from its directory.
            guard policy == .inRoot else { throw ConfinedFSError("create", path, errno: ELOOP) }
            let target = try Self.readlink(parent.fd, name, path: path)
            current = target.hasPrefix("/") ? target : parentInRoot + "/" + target
        }
        throw ConfinedFSError("create", path, errno: ELOOP)
    }
}
