import CZlib
#if canImport(Glibc)
import Glibc
#endif

/// Extended attributes of filesystem entries, never following a final symlink (`l*xattr`).
public enum Xattrs {
    /// The names of `path`'s extended attributes, sorted byte-wise.
    public static func list(_ path: String) throws -> [String] {
        while true {
            let size = llistxattr(path, nil, 0)
            if size < 0 {
                if errno == ENOTSUP { return [] }
                throw LayerArchiveError.system("llistxattr", entry: path)
            }
            if size == 0 { return [] }
            var buffer = [CChar](repeating: 0, count: size)
            let got = llistxattr(path, &buffer, size)
            if got < 0 {
                if errno == ERANGE { continue }  // grew in between
                throw LayerArchiveError.system("llistxattr", entry: path)
            }
            let names = buffer[0..<got].split(separator: 0).map { String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
            return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        }
    }

    /// The value of `name` on `path`, or nil when it is not set.
    public static func get(_ path: String, _ name: String) throws -> [UInt8]? {
        while true {
            let size = lgetxattr(path, name, nil, 0)
            if size < 0 {
                if errno == ENODATA || errno == ENOTSUP { return nil }
                throw LayerArchiveError.system("lgetxattr \(name)", entry: path)
            }
            var value = [UInt8](repeating: 0, count: size)
            let got = lgetxattr(path, name, &value, size)
            if got < 0 {
                if errno == ERANGE { continue }
                throw LayerArchiveError.system("lgetxattr \(name)", entry: path)
            }
            return Array(value.prefix(got))
        }
    }

    /// Sets `name` on `path`.
    public static func set(_ path: String, _ name: String, _ value: [UInt8]) throws {
        let status = value.withUnsafeBytes { lsetxattr(path, name, $0.baseAddress, $0.count, 0) }
        if status != 0 { throw LayerArchiveError.system("lsetxattr \(name)", entry: path) }
    }
}
