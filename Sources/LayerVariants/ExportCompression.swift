import ImageSpec
import LayerArchive

/// What layers are compressed with when an image leaves the machine (push, save, `-o type=oci`):
/// `--compression gzip|zstd|uncompressed` and `--compression-level N`.
///
/// gzip is written by libdeflate in 1 MiB members on every core (two to three times zlib's speed at
/// the same level and size); zstd by libzstd's own threads. Both are deterministic.
public struct ExportCompression: Sendable, Hashable, CustomStringConvertible {
    public enum Algorithm: String, Sendable, CaseIterable {
        case gzip, zstd, uncompressed
    }

    public var algorithm: Algorithm
    /// The level; nil for the algorithm's default (gzip 6, zstd 3).
    public var level: Int32?

    /// What kiln sends by default: gzip at level 6, which every registry and engine reads.
    public static let `default` = ExportCompression(algorithm: .gzip)

    public init(algorithm: Algorithm, level: Int32? = nil) {
        self.algorithm = algorithm
        self.level = level
    }

    /// Parses the flags; throws a message naming the valid choices.
    public init(name: String?, level: Int?) throws {
        let name = name ?? "gzip"
        guard let algorithm = Algorithm(rawValue: name.lowercased()) else {
            throw ExportCompressionError("unknown compression \"\(name)\": use gzip, zstd or uncompressed")
        }
        self.algorithm = algorithm
        guard let level else { return }
        let range: ClosedRange<Int32>
        switch algorithm {
        case .gzip: range = BlockGzipCompressor<DiscardingSink>.levels
        case .zstd: range = ZstdCompressor<DiscardingSink>.levels
        case .uncompressed: throw ExportCompressionError("--compression-level needs --compression gzip or zstd")
        }
        guard let value = Int32(exactly: level), range.contains(value) else {
            throw ExportCompressionError("\(name) compression level \(level) is out of range \(range.lowerBound)…\(range.upperBound)")
        }
        self.level = value
    }

    /// The level actually used.
    public var effectiveLevel: Int32 {
        switch algorithm {
        case .gzip: level ?? BlockGzipCompressor<DiscardingSink>.defaultLevel
        case .zstd: level ?? ZstdCompressor<DiscardingSink>.defaultLevel
        case .uncompressed: 0
        }
    }

    /// The key remembered with a variant: `gzip-6`, `zstd-3`.
    var variantKey: String { "\(algorithm.rawValue)-\(effectiveLevel)" }

    /// The media type of `uncompressed` (an uncompressed layer type) once compressed so.
    func mediaType(for uncompressed: MediaType) -> MediaType {
        let nondistributable = uncompressed == .ociLayerNondistributable
        switch algorithm {
        case .gzip: return nondistributable ? .ociLayerNondistributableGzip : .ociLayerGzip
        case .zstd: return nondistributable ? .ociLayerNondistributableZstd : .ociLayerZstd
        case .uncompressed: return uncompressed
        }
    }

    public var description: String { algorithm == .uncompressed ? "uncompressed" : variantKey }
}

/// A bad `--compression` / `--compression-level`.
public struct ExportCompressionError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ message: String) { description = message }
}
