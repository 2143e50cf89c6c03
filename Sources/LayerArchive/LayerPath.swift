#if canImport(Glibc)
import Glibc
#endif

/// `O_PATH` (Glibc's Swift module hides it behind `_GNU_SOURCE`); the value is the same on
/// every Linux architecture Swift supports (x86_64, arm64).
let O_PATH: Int32 = 0o10000000

/// Archive names and symlink targets, as the layer code reads them. Resolving a path inside the target
/// directory is ConfinedFS's (`ConfinedRoot`, see `LayerTarget.swift`).
///
/// Archive names are cleaned lexically first (`cleanComponents`): a leading `/` is dropped (absolute
/// names are relative to the root), empty and `.` components are dropped, and `..` removes the
/// previous component. A `..` that would climb above the root is **rejected** (`.unsafeEntry`):
/// well-formed layers never contain one.
public enum LayerPath {
    /// The lexically cleaned components of an archive name (see the type's rules).
    /// Split at `/` bytes, as the kernel reads a path (a Character split would keep a `/` that a
    /// combining mark follows inside a component); one pass over the UTF-8 bytes.
    public static func cleanComponents(_ name: String) throws -> [String] {
        var out: [String] = []
        var name = name
        return try name.withUTF8 { bytes -> [String] in
            var start = 0
            for end in 0...bytes.count where end == bytes.count || bytes[end] == UInt8(ascii: "/") {
                defer { start = end + 1 }
                let part = UnsafeBufferPointer(rebasing: bytes[start..<end])
                if part.isEmpty || (part.count == 1 && part[0] == UInt8(ascii: ".")) { continue }
                if part.count == 2, part[0] == UInt8(ascii: "."), part[1] == UInt8(ascii: ".") {
                    guard !out.isEmpty else {
                        throw LayerArchiveError(.unsafeEntry, "path climbs out of the target directory with '..'", entry: String(decoding: bytes, as: UTF8.self))
                    }
                    out.removeLast()
                    continue
                }
                out.append(String(decoding: part, as: UTF8.self))
            }
            return out
        }
    }

    /// The target of the symlink `name` in directory `dir`.
    static func readLink(_ dir: Int32, _ name: String, entry: String) throws -> String {
        var size = 256
        while true {
            var buffer = [CChar](repeating: 0, count: size)
            let n = readlinkat(dir, name, &buffer, size)
            guard n >= 0 else { throw LayerArchiveError.system("readlink \(name)", entry: entry) }
            if n < size {
                return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
            size *= 4
            guard size <= 1 << 20 else { throw LayerArchiveError(.unsafeEntry, "symlink target too long", entry: entry) }
        }
    }
}

/// Directory operations relative to a directory descriptor, never following symlinks.
enum DirectoryOps {
    /// The names in directory `name` of `dir` (or `dir` itself when `name` is "."), as raw bytes.
    static func list(_ dir: Int32, _ name: String = ".", entry: String) throws -> [[CChar]] {
        let fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw LayerArchiveError.system("open directory", entry: entry) }
        guard let stream = fdopendir(fd) else {
            close(fd)
            throw LayerArchiveError.system("fdopendir", entry: entry)
        }
        defer { closedir(stream) }
        var names: [[CChar]] = []
        while let item = readdir(stream) {
            let raw: [CChar] = withUnsafePointer(to: &item.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 256) { Array(UnsafeBufferPointer(start: $0, count: strlen($0) + 1)) }
            }
            if raw == [46, 0] || raw == [46, 46, 0] { continue }  // "." and ".."
            names.append(raw)
        }
        return names
    }

    /// Removes `name` in `dir` and, when it is a directory, everything below it. Symlinks are
    /// removed, never followed. A missing `name` is not an error.
    static func removeTree(_ dir: Int32, _ name: [CChar], entry: String) throws {
        var info = stat()
        guard fstatat(dir, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            if errno == ENOENT { return }
            throw LayerArchiveError.system("stat", entry: entry)
        }
        if info.st_mode & S_IFMT == S_IFDIR {
            let sub = openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard sub >= 0 else { throw LayerArchiveError.system("open directory", entry: entry) }
            defer { close(sub) }
            for child in try list(sub, entry: entry) {
                try removeTree(sub, child, entry: entry)
            }
            guard unlinkat(dir, name, AT_REMOVEDIR) == 0 || errno == ENOENT else {
                throw LayerArchiveError.system("rmdir", entry: entry)
            }
        } else {
            guard unlinkat(dir, name, 0) == 0 || errno == ENOENT else {
                throw LayerArchiveError.system("unlink", entry: entry)
            }
        }
    }

    static func removeTree(_ dir: Int32, _ name: String, entry: String) throws {
        try removeTree(dir, Array(name.utf8CString), entry: entry)
    }

    static func decode(_ raw: [CChar]) -> String {
        String(decoding: raw.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
