// Owns one directory's listing for the context walk: every name in one flat byte buffer (each
// NUL-terminated, so it goes to fstatat/openat as it is) and an index of offsets in byte-wise order.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The names in a directory (without `.` and `..`), sorted byte-wise, held as one buffer.
struct DirectoryNames {
    /// The names, each followed by a NUL, in the order `readdir` gave them.
    private var bytes: [UInt8] = []
    /// Offsets of the names in `bytes`, sorted byte-wise (strcmp compares bytes as unsigned, and a
    /// name that is a prefix of another sorts first, as its NUL is the smaller byte).
    private var starts: [Int32] = []

    var count: Int { starts.count }

    /// Lists the directory open at `fd` (its own descriptor is duplicated, so `fd` stays open);
    /// `path` names it in an error.
    init(listing fd: Int32, path: [UInt8]) throws(ContextWalkError) {
        let own = dup(fd)
        guard own >= 0 else { throw .io(path: String(decoding: path, as: UTF8.self), errno: errno) }
        guard let handle = fdopendir(own) else {
            let code = errno
            close(own)
            throw .io(path: String(decoding: path, as: UTF8.self), errno: code)
        }
        defer { closedir(handle) }
        bytes.reserveCapacity(1024)
        while let dirent = readdir(handle) {
            withUnsafeBytes(of: &dirent.pointee.d_name) { raw in
                let base = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
                let length = strnlen(base, raw.count)
                if length == 0 || (base[0] == GoPath.dot && (length == 1 || (length == 2 && base[1] == GoPath.dot))) { return }
                starts.append(Int32(bytes.count))
                bytes.append(contentsOf: UnsafeBufferPointer(start: base, count: length))
                bytes.append(0)
            }
        }
        bytes.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress!
            starts.sort { strcmp(base + Int($0), base + Int($1)) < 0 }
        }
    }

    /// Calls `body` with the `index`th name (in byte-wise order) as a NUL-terminated C string and
    /// its length.
    func withName<R, E: Error>(_ index: Int, _ body: (UnsafePointer<CChar>, Int) throws(E) -> R) throws(E) -> R {
        let start = Int(starts[index])
        return try bytes.withUnsafeBufferPointer { buffer throws(E) -> R in
            let name = UnsafeRawPointer(buffer.baseAddress! + start).assumingMemoryBound(to: CChar.self)
            return try body(name, strlen(name))
        }
    }

    /// The `index`th name's bytes (without its NUL).
    func name(_ index: Int) -> [UInt8] {
        let start = Int(starts[index])
        var end = start
        while bytes[end] != 0 { end += 1 }
        return Array(bytes[start..<end])
    }
}
