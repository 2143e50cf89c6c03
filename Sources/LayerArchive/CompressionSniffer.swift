/// The compression of a blob or a build-context file, told from its first bytes.
public enum Compression: String, Sendable, Equatable, CaseIterable {
    case none
    case gzip
    case bzip2
    case xz
    case zstd

    /// Whether this module can decompress it (gzip and zstd).
    public var isSupported: Bool { self == .none || self == .gzip || self == .zstd }
}

/// Tells the compression of a stream from its magic number, as `ADD` must for local archives.
public enum CompressionSniffer {
    /// How many leading bytes `detect` needs at most.
    public static let prefixLength = 6

    /// The compression whose magic number starts `prefix`, or `.none`.
    ///
    /// gzip `1f 8b`, bzip2 `BZh`, xz `fd 37 7a 58 5a 00`, zstd frame `28 b5 2f fd`.
    public static func detect(_ prefix: some Collection<UInt8>) -> Compression {
        let bytes = Array(prefix.prefix(prefixLength))
        func starts(_ magic: [UInt8]) -> Bool { bytes.starts(with: magic) }
        if starts([0x1f, 0x8b]) { return .gzip }
        if starts([0x42, 0x5a, 0x68]) { return .bzip2 }
        if starts([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) { return .xz }
        if starts([0x28, 0xb5, 0x2f, 0xfd]) { return .zstd }
        return .none
    }

    /// Reads the start of `source`, detects its compression, and returns a source giving the
    /// decompressed bytes (or the bytes as they are, for `.none`), plus what was detected.
    /// bzip2 and xz are detected but throw `.unsupported`.
    public static func decompressing<Source: ByteSource>(_ source: Source) throws -> (Compression, any ByteSource) {
        var source = source
        var head: [UInt8] = []
        while head.count < prefixLength {
            let chunk = try source.read(upTo: prefixLength - head.count)
            if chunk.isEmpty { break }
            head += chunk
        }
        let compression = detect(head)
        let replayed = PrefixedSource(prefix: head, rest: source)
        switch compression {
        case .none: return (.none, replayed)
        case .gzip: return (.gzip, try GzipDecompressingSource(replayed))
        case .zstd: return (.zstd, try ZstdDecompressingSource(replayed))
        case .bzip2, .xz:
            throw LayerArchiveError(.unsupported, "\(compression.rawValue) compression is detected but not supported yet")
        }
    }
}

/// A source that gives `prefix` first, then the rest of another source.
struct PrefixedSource<Rest: ByteSource>: ByteSource {
    var prefix: [UInt8]
    var rest: Rest

    mutating func read(upTo maxCount: Int) throws -> [UInt8] {
        guard !prefix.isEmpty else { return try rest.read(upTo: maxCount) }
        let n = min(maxCount, prefix.count)
        defer { prefix.removeFirst(n) }
        return Array(prefix[0..<n])
    }

    mutating func skipAhead(_ count: Int64) throws -> Int64? {
        // Through the prefix only when the rest surely skips too (nothing is consumed before a nil).
        guard prefix.isEmpty || rest.skipsWithoutReading else { return nil }
        let fromPrefix = Int(min(Int64(prefix.count), count))
        prefix.removeFirst(fromPrefix)
        guard count > Int64(fromPrefix) else { return count }
        guard let skipped = try rest.skipAhead(count - Int64(fromPrefix)) else { return nil }
        return Int64(fromPrefix) + skipped
    }

    var skipsWithoutReading: Bool { rest.skipsWithoutReading }
}

/// A type-erased source, so `TarReader` can read whatever `decompressing` returned.
public struct AnyByteSource: ByteSource {
    private var base: any ByteSource
    public init(_ base: any ByteSource) { self.base = base }
    public mutating func read(upTo maxCount: Int) throws -> [UInt8] { try base.read(upTo: maxCount) }
    public mutating func skipAhead(_ count: Int64) throws -> Int64? { try base.skipAhead(count) }
    public var skipsWithoutReading: Bool { base.skipsWithoutReading }
}

extension TarReader where Source == AnyByteSource {
    /// A reader over a tar that may be gzip-compressed (detected from its first bytes);
    /// bzip2, xz and zstd throw `.unsupported`.
    public init<Compressed: ByteSource>(detectingCompression source: Compressed) throws {
        let (_, decompressed) = try CompressionSniffer.decompressing(source)
        self.init(AnyByteSource(decompressed))
    }

    /// A reader over the (possibly gzip-compressed) tar file at `path`.
    public init(detectingCompressionOf path: String) throws {
        try self.init(detectingCompression: try FileDescriptor.open(reading: path))
    }
}
