#if canImport(Glibc)
import Glibc
#endif

/// Rewriting the host's resolv.conf for a container that does not share the host's network.
enum ResolvConf {
    /// Docker's fallback nameservers when none usable is left.
    static let defaultNameservers = ["nameserver 8.8.8.8", "nameserver 8.8.4.4",
                                     "nameserver 2001:4860:4860::8888", "nameserver 2001:4860:4860::8844"]

    /// `text` without nameservers on loopback addresses (unreachable from another network namespace);
    /// Docker's defaults are appended when no nameserver remains.
    static func withoutLoopback(_ text: String) -> String {
        var lines: [String] = []
        var nameservers = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.first == "nameserver", fields.count > 1 {
                let address = fields[1]
                if address.hasPrefix("127.") || address == "::1" { continue }
                nameservers += 1
            }
            lines.append(String(line))
        }
        while lines.last == "" { lines.removeLast() }
        if nameservers == 0 { lines += defaultNameservers }
        return lines.joined(separator: "\n") + "\n"
    }
}

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
