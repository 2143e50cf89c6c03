import Foundation
import LayerArchive
#if canImport(Glibc)
import Glibc
#endif

/// The files of an archive being loaded, looked up by their path inside the archive.
///
/// A tar (plain or gzip, a file or standard input) is read once, front to back; each regular
/// file is written to a private temp folder under a made-up name (never under its archive path),
/// so nothing in the archive chooses where bytes land. Symlinks and hard links are kept as
/// aliases and resolved inside the archive only. An OCI layout folder is read in place, with
/// every lookup confined to it.
///
/// Hostile input fails with ``ArchiveError``: `unsafeArchive` for absolute paths, `..`
/// components, links that leave the archive, duplicate entries; `invalidArchive` for corrupt
/// or truncated tars.
final class ArchiveFiles {
    private enum Node {
        case file(String)
        case link(String)
    }

    private var nodes: [String: Node] = [:]
    private let directoryRoot: String?
    private let tempFolder: String?
    let source: String

    /// Reads the tar at `path` (`"-"` = standard input) into a temp folder under `tempParent`.
    init(tar path: String, tempParent: URL) throws {
        source = path == "-" ? "standard input" : path
        directoryRoot = nil
        var template = Array((tempParent.path + "/load-XXXXXX").utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw ArchiveError(.io, "cannot create a temp folder in \(tempParent.path)", cause: String(cString: strerror(errno)))
        }
        let folder = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        tempFolder = folder
        do {
            let input: FileDescriptor
            if path == "-" {
                input = FileDescriptor(fd: 0, owned: false)
            } else {
                do { input = try FileDescriptor.open(reading: path) } catch {
                    throw ArchiveError(.io, "cannot open \(path)", cause: "\(error)")
                }
            }
            try extract(input, into: folder)
        } catch {
            cleanup()
            throw error
        }
    }

    /// Reads an OCI layout folder in place.
    init(directory path: String) {
        source = path
        directoryRoot = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        tempFolder = nil
    }

    deinit { cleanup() }

    /// Removes the temp folder (idempotent).
    func cleanup() {
        if let tempFolder { try? FileManager.default.removeItem(atPath: tempFolder) }
    }

    private func extract(_ input: FileDescriptor, into folder: String) throws {
        do {
            var reader = try TarReader(detectingCompression: input)
            var count = 0
            while let header = try reader.next() {
                try Task.checkCancellation()
                guard let name = try Self.normalize(header.path) else { continue }
                switch header.type {
                case .regular:
                    guard nodes[name] == nil else { throw ArchiveError(.unsafeArchive, "\(source) has two entries named \(name)") }
                    count += 1
                    let file = folder + "/f\(count)"
                    var out = try FileDescriptor.create(writing: file, mode: 0o600)
                    try reader.copyContent(to: &out)
                    nodes[name] = .file(file)
                case .symlink, .hardlink:
                    guard nodes[name] == nil else { throw ArchiveError(.unsafeArchive, "\(source) has two entries named \(name)") }
                    let base = header.type == .symlink ? (name as NSString).deletingLastPathComponent : ""
                    guard !header.linkName.hasPrefix("/"), let target = Self.join(base, header.linkName) else {
                        throw ArchiveError(.unsafeArchive, "\(source): link \(name) points outside the archive (\(header.linkName))")
                    }
                    nodes[name] = .link(target)
                default:
                    continue
                }
            }
        } catch let error as LayerArchiveError {
            let code: ArchiveError.Code = error.kind == .unsupported ? .unsupported : .invalidArchive
            throw ArchiveError(code, "\(source) is not a readable tar archive (truncated or corrupt)", cause: "\(error)")
        }
    }

    /// The archive path `raw` without `./` and trailing `/`; nil for the root. Throws for absolute paths and `..`.
    static func normalize(_ raw: String) throws -> String? {
        guard !raw.hasPrefix("/") else { throw ArchiveError(.unsafeArchive, "archive entry \(raw) has an absolute path") }
        let parts = raw.split(separator: "/").filter { $0 != "." }
        guard !parts.contains("..") else { throw ArchiveError(.unsafeArchive, "archive entry \(raw) contains '..'") }
        return parts.isEmpty ? nil : parts.joined(separator: "/")
    }

    /// `relative` resolved against folder `base` lexically; nil when it climbs above the root.
    static func join(_ base: String, _ relative: String) -> String? {
        var parts = base.split(separator: "/").map(String.init)
        for part in relative.split(separator: "/") {
            if part == "." { continue }
            if part == ".." {
                guard !parts.isEmpty else { return nil }
                parts.removeLast()
            } else {
                parts.append(String(part))
            }
        }
        return parts.joined(separator: "/")
    }

    /// Whether the archive has a file `name`.
    func exists(_ name: String) -> Bool {
        (try? path(name)) != nil
    }

    /// The local path of the regular file `name` (links followed inside the archive).
    /// Throws `missingContent`, or `unsafeArchive` for a link leaving the archive.
    func path(_ name: String) throws -> String {
        guard let normalized = try Self.normalize(name) else { throw ArchiveError(.missingContent, "\(source) has no file \(name)") }
        if let root = directoryRoot { return try confined(root: root, normalized) }
        var current = normalized
        for _ in 0..<16 {
            switch nodes[current] {
            case .file(let path)?: return path
            case .link(let target)?: current = target
            case nil: throw ArchiveError(.missingContent, "\(source) has no file \(name)")
            }
        }
        throw ArchiveError(.unsafeArchive, "\(source): too many links resolving \(name)")
    }

    private func confined(root: String, _ name: String) throws -> String {
        let full = URL(fileURLWithPath: root + "/" + name).resolvingSymlinksInPath().path
        guard full.hasPrefix(root + "/") else { throw ArchiveError(.unsafeArchive, "\(source): \(name) leads outside the folder") }
        var info = stat()
        guard stat(full, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw ArchiveError(.missingContent, "\(source) has no file \(name)")
        }
        return full
    }

    /// The content of the small file `name` (at most `limit` bytes).
    func read(_ name: String, limit: Int = 32 << 20) throws -> Data {
        let file = try path(name)
        guard let handle = FileHandle(forReadingAtPath: file) else { throw ArchiveError(.io, "cannot read \(name) of \(source)") }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: limit + 1)) ?? Data()
        guard data.count <= limit else { throw ArchiveError(.invalidArchive, "\(name) in \(source) is larger than \(limit) bytes") }
        return data
    }
}
