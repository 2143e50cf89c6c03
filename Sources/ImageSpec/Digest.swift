/// The hash algorithm of a ``Digest``. Only the algorithms the OCI image spec registers are supported.
public enum DigestAlgorithm: String, Sendable, Hashable, CaseIterable, Codable {
    case sha256
    case sha512

    /// Number of lowercase hex characters in an encoded digest of this algorithm.
    public var hexLength: Int {
        switch self {
        case .sha256: return 64
        case .sha512: return 128
        }
    }
}

/// A content digest such as `sha256:e3b0c442…`: an algorithm and its lowercase hex encoding.
///
/// Contract: a `Digest` value is always valid — `sha256:` followed by exactly 64 lowercase hex
/// characters, or `sha512:` followed by exactly 128. Uppercase hex is rejected (the OCI spec
/// requires lowercase, and two spellings of one digest would break content addressing).
/// Encodes and decodes as its string form.
public struct Digest: Sendable, Hashable, Comparable, Codable, CustomStringConvertible, LosslessStringConvertible {
    public let algorithm: DigestAlgorithm
    /// The lowercase hex encoding of the hash.
    public let hex: String

    /// Parses `algorithm:hex`. Throws ``ImageSpecError`` (`invalidDigest` or
    /// `unsupportedDigestAlgorithm`) saying what is wrong.
    public init(parsing string: String) throws {
        guard let colon = string.firstIndex(of: ":") else {
            throw ImageSpecError(.invalidDigest, "invalid digest format: \(ImageSpecError.quote(string)) has no algorithm prefix (expected sha256:<hex>)")
        }
        let name = String(string[..<colon])
        let hex = String(string[string.index(after: colon)...])
        guard let algorithm = DigestAlgorithm(rawValue: name) else {
            if Self.isAlgorithmName(name) {
                throw ImageSpecError(.unsupportedDigestAlgorithm, "unsupported digest algorithm: \(ImageSpecError.quote(name))")
            }
            throw ImageSpecError(.invalidDigest, "invalid digest format: \(ImageSpecError.quote(string))")
        }
        try self.init(algorithm: algorithm, hex: hex)
    }

    /// Makes a digest from its parts, validating the hex for the algorithm.
    public init(algorithm: DigestAlgorithm, hex: String) throws {
        let utf8 = hex.utf8
        guard utf8.allSatisfy({ Self.isLowerHex($0) || Self.isUpperHex($0) }), !utf8.isEmpty else {
            throw ImageSpecError(.invalidDigest, "invalid digest format: \(ImageSpecError.quote(hex)) is not hex")
        }
        guard utf8.count == algorithm.hexLength else {
            throw ImageSpecError(.invalidDigest, "invalid checksum digest length: \(algorithm.rawValue) needs \(algorithm.hexLength) hex characters, got \(utf8.count)")
        }
        guard utf8.allSatisfy(Self.isLowerHex) else {
            throw ImageSpecError(.invalidDigest, "invalid digest format: hex must be lowercase in \(algorithm.rawValue):\(hex)")
        }
        self.algorithm = algorithm
        self.hex = hex
    }

    /// For hex this module produced itself (lowercase, right length by construction).
    init(validatedAlgorithm algorithm: DigestAlgorithm, hex: String) {
        self.algorithm = algorithm
        self.hex = hex
    }

    public init?(_ description: String) {
        try? self.init(parsing: description)
    }

    /// `algorithm:hex`, e.g. `sha256:e3b0…`.
    public var description: String { "\(algorithm.rawValue):\(hex)" }

    /// The hex shortened to 12 characters, as `docker images` shows an image ID.
    public var shortHex: String { String(hex.prefix(12)) }

    public static func < (lhs: Digest, rhs: Digest) -> Bool { lhs.description < rhs.description }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try ImageSpecError.locating(decoder) { try Digest(parsing: text) }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    // MARK: - Character classes

    static func isLowerHex(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66)
    }

    static func isUpperHex(_ byte: UInt8) -> Bool {
        byte >= 0x41 && byte <= 0x46
    }

    /// The distribution grammar's `digest-algorithm`: components `[A-Za-z][A-Za-z0-9]*` joined by `[+._-]`.
    static func isAlgorithmName(_ name: String) -> Bool {
        var expectStart = true
        for byte in name.utf8 {
            let isAlpha = (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            let isDigit = byte >= 0x30 && byte <= 0x39
            if expectStart {
                guard isAlpha else { return false }
                expectStart = false
            } else if byte == 0x2B || byte == 0x2E || byte == 0x5F || byte == 0x2D {
                expectStart = true
            } else if !(isAlpha || isDigit) {
                return false
            }
        }
        return !expectStart
    }
}
