import Crypto
import Foundation

/// Computes a ``Digest`` incrementally, for content that streams through in chunks.
///
/// Feed bytes with ``update(_:)`` in order, then call ``finalize()`` once. `byteCount` counts every
/// byte fed so a caller can check a descriptor's size in the same pass. A value type: copying a
/// digester forks its state.
///
/// `@unchecked Sendable`: swift-crypto's hash states are copy-on-write value types that it does not
/// yet mark `Sendable`; a `Digester` shares no mutable state between copies.
public struct Digester: @unchecked Sendable {
    private enum State {
        case sha256(SHA256)
        case sha512(SHA512)
    }

    private var state: State
    /// Total number of bytes fed so far.
    public private(set) var byteCount: Int64 = 0

    public init(algorithm: DigestAlgorithm = .sha256) {
        switch algorithm {
        case .sha256: state = .sha256(SHA256())
        case .sha512: state = .sha512(SHA512())
        }
    }

    public var algorithm: DigestAlgorithm {
        switch state {
        case .sha256: return .sha256
        case .sha512: return .sha512
        }
    }

    /// Feeds the next chunk of content.
    public mutating func update<Bytes: DataProtocol>(_ bytes: Bytes) {
        byteCount += Int64(bytes.count)
        switch state {
        case .sha256(var hasher):
            hasher.update(data: bytes)
            state = .sha256(hasher)
        case .sha512(var hasher):
            hasher.update(data: bytes)
            state = .sha512(hasher)
        }
    }

    /// Feeds the next chunk of content from raw memory.
    public mutating func update(bufferPointer: UnsafeRawBufferPointer) {
        byteCount += Int64(bufferPointer.count)
        switch state {
        case .sha256(var hasher):
            hasher.update(bufferPointer: bufferPointer)
            state = .sha256(hasher)
        case .sha512(var hasher):
            hasher.update(bufferPointer: bufferPointer)
            state = .sha512(hasher)
        }
    }

    /// The digest of everything fed so far. Does not consume the digester.
    public func finalize() -> Digest {
        let hex: String
        switch state {
        case .sha256(let hasher): hex = Self.hexString(hasher.finalize())
        case .sha512(let hasher): hex = Self.hexString(hasher.finalize())
        }
        // The hex is lowercase and of the algorithm's length by construction.
        return Digest(validatedAlgorithm: algorithm, hex: hex)
    }

    private static func hexString<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(128)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Digest {
    /// The SHA-256 digest of `bytes`.
    public static func sha256<Bytes: DataProtocol>(of bytes: Bytes) -> Digest {
        digest(of: bytes, algorithm: .sha256)
    }

    /// The digest of `bytes` with the given algorithm.
    public static func digest<Bytes: DataProtocol>(of bytes: Bytes, algorithm: DigestAlgorithm) -> Digest {
        var digester = Digester(algorithm: algorithm)
        digester.update(bytes)
        return digester.finalize()
    }
}
