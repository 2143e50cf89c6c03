import ImageSpec
import LayerArchive

/// Copies an uncompressed tar stream block by block, leaving out entries whose name is
/// empty or `.` (Docker's untar cleans such a name to `.` and skips it, the root being a
/// directory already), which `TarReader` would reject. Everything else passes unchanged, up to
/// the end-of-archive marker: what follows it is not copied (as no reader looks at it).
///
/// Headers are judged by LayerArchive's `TarBlock`, as `TarReader` judges them: a later header
/// with a bad checksum, or a size that is negative or absurd (base-256 2^63-1), is a clear
/// `CopyError` naming the entry, never an arithmetic trap. Once the first header was read, the
/// stream is an archive: a decompression error later on (a truncated gzip) is a `CopyError` too, not
/// a reason to copy the file as it is; and more than `limit` bytes (`KILN_MAX_LAYER_SIZE`, a
/// decompression bomb) stop the copy with a `CopyError` naming the limit.
struct TarNormalizer {
    private var source: any ByteSource
    private var buffer: [UInt8] = []
    private var offset = 0
    private let limit: Int64?
    private var total: Int64 = 0
    private var isArchive = false

    init(_ source: any ByteSource, limit: Int64? = ImageLimits.maxLayerSize()) {
        self.source = source
        self.limit = limit
    }

    /// Writes the normalised stream to `sink`; false (having written nothing of note) when
    /// the first header is not a valid tar header, so a large non-archive is not copied.
    @discardableResult
    mutating func copy(to sink: FileDescriptor) throws -> Bool {
        var afterExtendedHeader = false
        var first = true
        while let block = try readBlock() {
            if TarBlock.isEndMarker(block) {
                try write(block, to: sink)
                try write(block, to: sink)
                return true
            }
            if first {
                guard (try? TarBlock.verifyChecksum(block)) != nil else { return false }
                first = false
                isArchive = true
            }
            let typeflag = block[156]
            let contentBlocks: Int64
            do {
                try TarBlock.verifyChecksum(block)
                contentBlocks = TarBlock.blocks(forContentSize: try TarBlock.contentSize(block))
            } catch {
                throw CopyError(.io, "failed to extract archive: \(error)")
            }
            let name = Self.string(block[0..<100]) + Self.string(block[345..<500])
            let drop = !afterExtendedHeader && (name.isEmpty || name == "." || name == "./")
                && typeflag != UInt8(ascii: "x") && typeflag != UInt8(ascii: "g") && typeflag != UInt8(ascii: "L")
            afterExtendedHeader = typeflag == UInt8(ascii: "x") || typeflag == UInt8(ascii: "L") || typeflag == UInt8(ascii: "K")
            if !drop { try write(block, to: sink) }
            for _ in 0..<contentBlocks {
                guard let content = try readBlock() else { return true }
                if !drop { try write(content, to: sink) }
            }
        }
        return true
    }

    private func write(_ block: [UInt8], to sink: FileDescriptor) throws {
        try block.withUnsafeBytes { try sink.write($0) }
    }

    private mutating func readBlock() throws -> [UInt8]? {
        while buffer.count - offset < 512 {
            let chunk: [UInt8]
            do {
                chunk = try source.read(upTo: 64 * 1024)
            } catch let error as LayerArchiveError where isArchive {
                throw CopyError(.io, "failed to extract archive: \(error)")
            }
            if chunk.isEmpty { break }
            total += Int64(chunk.count)
            if let limit, total > limit {
                throw CopyError(.io, "failed to extract archive: \(ImageLimits.layerTooLarge("the archive", limit: limit))")
            }
            buffer.removeFirst(offset)
            offset = 0
            buffer += chunk
        }
        let available = buffer.count - offset
        guard available >= 512 else {
            if available > 0 {  // a short tail: pass it on padded, the reader decides
                defer { buffer = []; offset = 0 }
                return Array(buffer[offset...]) + [UInt8](repeating: 0, count: 512 - available)
            }
            return nil
        }
        defer { offset += 512 }
        return Array(buffer[offset..<offset + 512])
    }

    private static func string(_ field: ArraySlice<UInt8>) -> String {
        String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
    }

}
