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
    // Exactly one is set. Two optionals rather than an enum with payloads: `sha256?.update` mutates
    // the state in place, where taking it out of an enum case kept a second reference and made
    // swift-crypto copy its context (an allocation) on every update.
    private var sha256: SHA256?
    private var sha512: SHA512?
    /// Total number of bytes fed so far.
    public private(set) var byteCount: Int64 = 0

    public init(algorithm: DigestAlgorithm = .sha256) {
        switch algorithm {
        case .sha256: sha256 = SHA256()
        case .sha512: sha512 = SHA512()
        }
    }

    public var algorithm: DigestAlgorithm {
        sha256 != nil ? .sha256 : .sha512
    }

    /// Feeds the next chunk of content.
    public mutating func update<Bytes: DataProtocol>(_ bytes: Bytes) {
        byteCount += Int64(bytes.count)
        if sha256 != nil {
            sha256!.update(data: bytes)
        } else {
            sha512!.update(data: bytes)
        }
    }

    /// Feeds the next chunk of content from raw memory.
    public mutating func update(bufferPointer: UnsafeRawBufferPointer) {
        byteCount += Int64(bufferPointer.count)
        if sha256 != nil {
            sha256!.update(bufferPointer: bufferPointer)
        } else {
            sha512!.update(bufferPointer: bufferPointer)
        }
    }

    /// The digest of everything fed so far. Does not consume the digester.
    public func finalize() -> Digest {
        let hex: String
        if let sha256 {
            hex = Self.hexString(sha256.finalize())
        } else {
            hex = Self.hexString(sha512!.finalize())
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
