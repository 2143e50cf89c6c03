import ConfinedFS
import Foundation

/// An in-memory root filesystem and the reference resolution "as if the root were `/`":
/// absolute symlink targets restart at the root, `..` stops there, 40 symlinks at most.
/// The property test runs the same operations on it and, through `ConfinedRoot`, on disk.
struct ReferenceTree: Equatable {
    enum Node: Equatable {
        case directory(mode: UInt32, uid: UInt32)
        case file(content: String, mode: UInt32, uid: UInt32)
        case link(target: String, uid: UInt32)
    }

    /// By absolute path without symlinks ("/" is the root).
    var nodes: [String: Node] = ["/": .directory(mode: 0o755, uid: 0)]

    enum Resolution: Equatable {
        case existing(String)
        case absent(String)  // only the last component is missing
    }

    static func components(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    static func key(_ components: [String]) -> String { "/" + components.joined(separator: "/") }

    /// Resolves `path`; with `create`, missing directories on the way (and at the end) are
    /// made as BuildKit's MkdirAll on a root-resolved path would.
    mutating func resolve(_ path: String, followFinal: Bool, create: Node? = nil) throws(ConfinedFSError) -> Resolution {
        var current: [String] = []
        var pending = Array(Self.components(path).reversed())
        var links = 0
        while let name = pending.popLast() {
            if name == "." { continue }
            if name == ".." { _ = current.popLast(); continue }
            let candidate = current + [name]
            let key = Self.key(candidate)
            let isLast = pending.isEmpty
            switch nodes[key] {
            case nil:
                if let create {
                    nodes[key] = create
                    current = candidate
                } else if isLast {
                    return .absent(key)
                } else {
                    throw ConfinedFSError("resolve", path, errno: ENOENT)
                }
            case .directory:
                current = candidate
            case .file:
                guard isLast else { throw ConfinedFSError("resolve", path, errno: ENOTDIR) }
                return .existing(key)
            case .link(let target, _):
                if isLast && !followFinal { return .existing(key) }
                links += 1
                guard links <= 40 else { throw ConfinedFSError("resolve", path, errno: ELOOP) }
                if target.hasPrefix("/") { current = [] }
                pending += Self.components(target).reversed()
            }
        }
        return .existing(Self.key(current))
    }

    /// The existing directory `path` resolves to, following every link.
    private mutating func directory(_ path: String) throws(ConfinedFSError) -> String {
        switch try resolve(path, followFinal: true) {
        case .absent: throw ConfinedFSError("resolve", path, errno: ENOENT)
        case .existing(let key):
            guard case .directory = nodes[key] else { throw ConfinedFSError("resolve", path, errno: ENOTDIR) }
            return key
        }
    }

    /// The entry `path` names in its (existing) parent directory; EINVAL for the root, `.`, `..`.
    private mutating func entry(_ path: String) throws(ConfinedFSError) -> String {
        let parts = Self.components(path)
        guard let name = parts.last, name != ".", name != ".." else { throw ConfinedFSError("entry", path, errno: EINVAL) }
        let parent = try directory(Self.key(Array(parts.dropLast())))
        return parent == "/" ? "/" + name : parent + "/" + name
    }

    private func existing(_ resolution: Resolution, _ path: String) throws(ConfinedFSError) -> String {
        guard case .existing(let key) = resolution else { throw ConfinedFSError("resolve", path, errno: ENOENT) }
        return key
    }

    mutating func mkdirAll(_ path: String, mode: UInt32, uid: UInt32) throws(ConfinedFSError) -> String {
        let key = try existing(try resolve(path, followFinal: true, create: .directory(mode: mode, uid: uid)), path)
        guard case .directory = nodes[key] else { throw ConfinedFSError("mkdir", path, errno: ENOTDIR) }
        return key
    }

    mutating func createFile(_ path: String, mode: UInt32, uid: UInt32) throws(ConfinedFSError) -> String {
        let key = try entry(path)
        guard nodes[key] == nil else { throw ConfinedFSError("create", path, errno: EEXIST) }
        nodes[key] = .file(content: "", mode: mode, uid: uid)
        return key
    }

    mutating func symlink(_ target: String, at path: String) throws(ConfinedFSError) {
        let key = try entry(path)
        guard nodes[key] == nil else { throw ConfinedFSError("symlink", path, errno: EEXIST) }
        nodes[key] = .link(target: target, uid: 0)
    }

    mutating func chown(_ path: String, uid: UInt32) throws(ConfinedFSError) {
        let key = try existing(try resolve(path, followFinal: false), path)
        switch nodes[key]! {
        case .directory(let mode, _): nodes[key] = .directory(mode: mode, uid: uid)
        case .file(let content, let mode, _): nodes[key] = .file(content: content, mode: mode, uid: uid)
        case .link(let target, _): nodes[key] = .link(target: target, uid: uid)
        }
    }

    mutating func chmod(_ path: String, mode: UInt32) throws(ConfinedFSError) {
        let key = try existing(try resolve(path, followFinal: true), path)
        switch nodes[key]! {
        case .directory(_, let uid): nodes[key] = .directory(mode: mode, uid: uid)
        case .file(let content, _, let uid): nodes[key] = .file(content: content, mode: mode, uid: uid)
        case .link: break
        }
    }

    mutating func readlink(_ path: String) throws(ConfinedFSError) -> String {
        let key = try existing(try resolve(path, followFinal: false), path)
        guard case .link(let target, _) = nodes[key] else { throw ConfinedFSError("readlink", path, errno: EINVAL) }
        return target
    }

    mutating func remove(_ path: String) throws(ConfinedFSError) {
        let key = try entry(path)
        guard let node = nodes[key] else { throw ConfinedFSError("remove", path, errno: ENOENT) }
        if case .directory = node, nodes.keys.contains(where: { $0.hasPrefix(key + "/") }) {
            throw ConfinedFSError("remove", path, errno: ENOTEMPTY)
        }
        nodes[key] = nil
    }

    /// `ConfinedRoot.readFile`: nil when missing anywhere on the way.
    mutating func readFile(_ path: String) throws(ConfinedFSError) -> String? {
        let resolution: Resolution
        do {
            resolution = try resolve(path, followFinal: true)
        } catch where error.errno == ENOENT {
            return nil
        }
        guard case .existing(let key) = resolution else { return nil }
        guard case .file(let content, _, _) = nodes[key] else { throw ConfinedFSError("read", path, errno: EINVAL) }
        return content
    }

    /// `ConfinedRoot.locate`: where the path is, or where `mkdirAll` would put it.
    mutating func locate(_ path: String) throws(ConfinedFSError) -> String {
        if let existing = try resolved(path) { return existing }
        var copy = self
        return try copy.mkdirAll(path, mode: 0o755, uid: 0)
    }

    /// `ConfinedRoot.resolve`: nil when missing anywhere on the way.
    mutating func resolved(_ path: String) throws(ConfinedFSError) -> String? {
        do {
            guard case .existing(let key) = try resolve(path, followFinal: true) else { return nil }
            return key
        } catch where error.errno == ENOENT {
            return nil
        }
    }

    /// The tree on disk below `root`, read with plain lstat/readlink (the test's own directory).
    static func scan(_ root: String) -> ReferenceTree {
        var tree = ReferenceTree(nodes: [:])
        func walk(_ key: String) {
            let host = key == "/" ? root : root + key
            var info = stat()
            guard lstat(host, &info) == 0 else { return }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                tree.nodes[key] = .directory(mode: info.st_mode & 0o7777, uid: info.st_uid)
                for child in (try? FileManager.default.contentsOfDirectory(atPath: host)) ?? [] {
                    walk(key == "/" ? "/" + child : key + "/" + child)
                }
            case S_IFLNK:
                let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: host)) ?? "?"
                tree.nodes[key] = .link(target: target, uid: info.st_uid)
            default:
                let content = (try? String(contentsOfFile: host, encoding: .utf8)) ?? "?"
                tree.nodes[key] = .file(content: content, mode: info.st_mode & 0o7777, uid: info.st_uid)
            }
        }
        walk("/")
        return tree
    }
}
