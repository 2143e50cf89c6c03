#if canImport(Glibc)
import Glibc
#endif

// Small whole-file reads and writes on the host, with close-on-exec descriptors.

/// Reads a whole (small) host file as UTF-8.
func readHostFile(_ path: String) throws -> String {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw ContainerRuntimeError.system("open", path: path) }
    defer { close(fd) }
    return try readAll(fd: fd, path: path)
}

/// Reads `fd` to its end as UTF-8 (invalid bytes repaired).
func readAll(fd: Int32, path: String) throws -> String {
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 16384)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            throw ContainerRuntimeError.system("read", path: path)
        }
        if count == 0 { break }
        bytes += buffer[0..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Writes `text` to `path` (created or truncated) with `mode`.
func writeHostFile(_ path: String, _ text: String, mode: mode_t = 0o644) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard fd >= 0 else { throw ContainerRuntimeError.system("create", path: path) }
    defer { close(fd) }
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            throw ContainerRuntimeError.system("write", path: path)
        }
        bytes = bytes.dropFirst(count)
    }
}
