import Foundation
import ImageSpec

/// HMAC-SHA256 (RFC 2104) of secret values under a random per-store key, so a step's cache key
/// changes with a secret's value without revealing it.
enum SecretDigest {
    static func hmac(key: [UInt8], message: [UInt8]) -> String {
        var k = key
        if k.count > 64 {
            var h = Digester()
            h.update(Data(k))
            k = bytes(ofHex: h.finalize().hex)
        }
        k += [UInt8](repeating: 0, count: 64 - k.count)
        var inner = Digester()
        inner.update(Data(k.map { $0 ^ 0x36 }))
        inner.update(Data(message))
        var outer = Digester()
        outer.update(Data(k.map { $0 ^ 0x5C }))
        outer.update(Data(bytes(ofHex: inner.finalize().hex)))
        return outer.finalize().hex
    }

    private static func bytes(ofHex hex: String) -> [UInt8] {
        let chars = Array(hex.utf8)
        func nibble(_ c: UInt8) -> UInt8 { c >= 0x61 ? c - 0x61 + 10 : c - 0x30 }
        return stride(from: 0, to: chars.count, by: 2).map { nibble(chars[$0]) << 4 | nibble(chars[$0 + 1]) }
    }

    /// The store's key (`kiln/secret-key`, 32 random bytes, mode 0600), created on first use.
    static func storeKey(stateDirectory: URL) throws -> [UInt8] {
        let path = stateDirectory.appendingPathComponent("secret-key").path
        if let data = FileManager.default.contents(atPath: path), data.count == 32 { return Array(data) }
        try FileManager.default.createDirectory(at: stateDirectory, withIntermediateDirectories: true)
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &generator) }
        let temp = path + ".\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw BuildError("create \(temp): \(String(cString: strerror(errno)))") }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, 32) }
        close(fd)
        guard written == 32 else { unlink(temp); throw BuildError("write \(temp) failed") }
        // First writer wins: link fails when another build created the key meanwhile.
        if link(temp, path) != 0 { unlink(temp); return try storeKey(stateDirectory: stateDirectory) }
        unlink(temp)
        return bytes
    }
}
