import CZlib
import Foundation
import ImageSpec

/// The content checksum BuildKit (v0.8, Docker 20.10) computes for a path of a build context, the
/// input of a COPY's content key (``BuildKitKeys/contentRecord(checksums:)``). Facts learned from
/// BuildKit's `cache/contenthash` and checked against Docker's exported caches (the `copy1` vector):
///
/// - a file's or symlink's digest is the SHA-256 of its tarsum-v1 header fields written as
///   name+value pairs with no separator — `name` (empty), `mode` (decimal permission bits, a
///   symlink's 0777), `uid` and `gid` (always 0), `size` (a regular file's, else 0), `typeflag`,
///   `linkname`, `uname`, `gname` (empty), `devmajor`, `devminor` — followed by a regular file's
///   content;
/// - a directory's digest is the SHA-256 of, in byte order of the names: `\0` and the digest of
///   the directory's own header (for the context's root, the SHA-256 of nothing), then for each entry `\0NAME` and the entry's digest (a
///   subdirectory's recursively). Digests are written in their `sha256:…` text form.
///
/// Modification times and owners never count, so a fresh checkout on another machine has the same
/// checksum. Extended attributes are not read (kiln gives no checksum for files that have some).
public enum ContextContentHash {
    public enum Failure: Error { case unsupported(String) }

    /// The checksum of `path` (absolute within the context at `root`); a symlink at `path` is
    /// followed within the context, as COPY does. `included`: the context paths (relative, as
    /// `a/b`) a `.dockerignore` lets Docker send; others are not part of the checksum.
    public static func checksum(root: String, path: String, included: Set<String>? = nil) throws -> Digest {
        var current = BuildKitKeys.goClean(path)
        for _ in 0..<256 {
            // A symlink among the parents would be followed by BuildKit's lookup; not done here.
            var prefix = ""
            for component in current.split(separator: "/").dropLast() {
                prefix += "/" + component
                var st = stat()
                guard lstat(root + prefix, &st) == 0, st.st_mode & S_IFMT == S_IFDIR else {
                    throw Failure.unsupported("\(prefix) is not a directory")
                }
            }
            var st = stat()
            guard lstat(root + current, &st) == 0 else { throw Failure.unsupported("\(current) does not exist") }
            if st.st_mode & S_IFMT == S_IFLNK {
                let link = try readLink(root + current)
                let parent = (current as NSString).deletingLastPathComponent
                current = BuildKitKeys.goClean(link.hasPrefix("/") ? link : parent + "/" + link)
                continue
            }
            if let included, current != "/", !included.contains(String(current.dropFirst())) {
                throw Failure.unsupported("\(current) is excluded by .dockerignore")
            }
            return try digest(root + current, relative: String(current.dropFirst()), included: included)
        }
        throw Failure.unsupported("too many symlinks: \(path)")
    }

    static func digest(_ full: String, relative: String, included: Set<String>?) throws -> Digest {
        var st = stat()
        guard lstat(full, &st) == 0 else { throw Failure.unsupported("cannot stat \(full)") }
        guard st.st_mode & S_IFMT == S_IFDIR else { return try entryDigest(full, st) }
        var hasher = Digester()
        hasher.update(Data([0]))
        // The context's root has no header of its own: BuildKit gives it the digest of nothing.
        let header = relative.isEmpty ? Digest.sha256(of: Data()) : try entryDigest(full, st)
        hasher.update(Data(header.description.utf8))
        for name in try names(full) {
            let child = relative.isEmpty ? name : relative + "/" + name
            if let included, !included.contains(child) { continue }
            hasher.update(Data([0]) + Data(name.utf8))
            hasher.update(Data(try digest(full + "/" + name, relative: child, included: included).description.utf8))
        }
        return hasher.finalize()
    }

    /// A file's, symlink's or directory's own header digest (with a regular file's content).
    static func entryDigest(_ full: String, _ st: stat) throws -> Digest {
        let type = st.st_mode & S_IFMT
        var mode = Int(st.st_mode & 0o7777)
        var typeflag: String
        var size: Int64 = 0
        var link = ""
        switch type {
        case S_IFREG: typeflag = "0"; size = Int64(st.st_size)
        case S_IFDIR: typeflag = "5"
        case S_IFLNK: typeflag = "2"; link = try readLink(full); mode |= 0o777
        default: throw Failure.unsupported("\(full) is a special file")
        }
        if try hasCountedXattrs(full) { throw Failure.unsupported("\(full) has extended attributes") }
        var hasher = Digester()
        let header = "name" + "mode\(mode)" + "uid0" + "gid0" + "size\(size)" + "typeflag" + typeflag + "linkname" + link
            + "uname" + "gname" + "devmajor0" + "devminor0"
        hasher.update(Data(header.utf8))
        if type == S_IFREG && size > 0 {
            guard let handle = FileHandle(forReadingAtPath: full) else { throw Failure.unsupported("cannot read \(full)") }
            defer { try? handle.close() }
            while let chunk = try handle.read(upToCount: 256 * 1024), !chunk.isEmpty { hasher.update(chunk) }
        }
        return hasher.finalize()
    }

    /// Whether `full` has extended attributes BuildKit's header would name (any but `security.*`
    /// and `system.*`, `security.capability` included).
    static func hasCountedXattrs(_ full: String) throws -> Bool {
        let fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return errno != ELOOP }  // a symlink's own attributes are not read
        defer { close(fd) }
        let size = flistxattr(fd, nil, 0)
        guard size > 0 else { return false }
        var buffer = [CChar](repeating: 0, count: size)
        let n = flistxattr(fd, &buffer, size)
        guard n > 0 else { return n < 0 }
        let names = buffer[0..<n].split(separator: 0).map { String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        return names.contains { $0 == "security.capability" || (!$0.hasPrefix("security.") && !$0.hasPrefix("system.")) }
    }

    static func names(_ directory: String) throws -> [String] {
        guard let dir = opendir(directory) else { throw Failure.unsupported("cannot read \(directory)") }
        defer { closedir(dir) }
        var result: [[UInt8]] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            result.append(name)
        }
        return result.sorted { $0.lexicographicallyPrecedes($1) }.map { String(decoding: $0, as: UTF8.self) }
    }

    static func readLink(_ full: String) throws -> String {
        var buffer = [CChar](repeating: 0, count: 4097)
        let n = readlink(full, &buffer, 4096)
        guard n >= 0 else { throw Failure.unsupported("cannot read link \(full)") }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
