import LayerArchive

/// Copies an uncompressed tar stream block by block, leaving out entries whose name is
/// empty or `.` (Docker's untar cleans such a name to `.` and skips it, the root being a
/// directory already), which `TarReader` would reject. Everything else passes unchanged.
struct TarNormalizer {
    private var source: any ByteSource
    private var buffer: [UInt8] = []
    private var offset = 0

    init(_ source: any ByteSource) {
        self.source = source
    }

    /// Writes the normalised stream to `sink`; false (having written nothing of note) when
    /// the first header is not a valid tar header, so a large non-archive is not copied.
    @discardableResult
    mutating func copy(to sink: FileDescriptor) throws -> Bool {
        var afterExtendedHeader = false
        var first = true
        while let block = try readBlock() {
            if block.allSatisfy({ $0 == 0 }) {
                try write(block, to: sink)
                continue
            }
            if first {
                guard Self.hasValidChecksum(block) else { return false }
                first = false
            }
            let typeflag = block[156]
            let contentBlocks = (Self.size(block) + 511) / 512
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

    /// The header checksum: the sum of the block's bytes with the checksum field as spaces.
    static func hasValidChecksum(_ block: [UInt8]) -> Bool {
        var sum = 0
        for (index, byte) in block.enumerated() { sum += (148..<156).contains(index) ? 0x20 : Int(byte) }
        let field = block[148..<156].prefix { $0 != 0 && $0 != 0x20 }.drop { $0 == 0x20 }
        return Int(String(decoding: field, as: UTF8.self), radix: 8) == sum
    }

    private func write(_ block: [UInt8], to sink: FileDescriptor) throws {
        try block.withUnsafeBytes { try sink.write($0) }
    }

    private mutating func readBlock() throws -> [UInt8]? {
        while buffer.count - offset < 512 {
            let chunk = try source.read(upTo: 64 * 1024)
            if chunk.isEmpty { break }
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

    /// The size field, octal or base-256.
    private static func size(_ block: [UInt8]) -> Int {
        let field = block[124..<136]
        if let first = field.first, first & 0x80 != 0 {
            return field.dropFirst().suffix(8).reduce(0) { $0 << 8 | Int($1) }
        }
        let digits = field.prefix { $0 != 0 && $0 != 0x20 }.drop { $0 == 0x20 }
        return Int(String(decoding: digits, as: UTF8.self).trimmingCharacters(in: .whitespaces), radix: 8) ?? 0
    }
}
