/// A streaming tar reader: ustar, POSIX pax (local `x` and global `g` headers), GNU long
/// names (`././@LongLink`, types `L`/`K`) and GNU base-256 numbers.
///
/// Usage: call `next()` for each entry's header, then (optionally) `readContent(upTo:)`
/// until it returns an empty array; `next()` skips whatever content was left unread.
///
/// Contracts:
/// - Memory is bounded: content is never buffered whole; PAX and long-name data are limited
///   to `maxMetadataSize` bytes each.
/// - Every header checksum is verified. Corrupt input throws `.corruptArchive`, input that
///   ends inside a header or content throws `.truncated`; both name the entry when known.
/// - The archive ends at a zero block, or (leniently, as Go's reader does) when the input ends
///   exactly at a header boundary. Data after the end-of-archive marker is not read.
/// - Sparse files, multi-volume and other unknown entry types throw `.unsupported`.
/// - For non-regular entries any size field is ignored: they have no content.
public struct TarReader<Source: ByteSource> {
    private var input: BufferedReader<Source>
    private var globalRecords: [PaxRecord] = []
    private var contentLeft: Int64 = 0
    private var paddingLeft: Int64 = 0
    private var currentPath: String?
    private var finished = false

    /// The largest PAX header or GNU long name accepted.
    public static var maxMetadataSize: Int { 1 << 20 }

    public init(_ source: Source) {
        input = BufferedReader(source)
    }

    /// How many bytes of the archive have been consumed.
    public var bytesConsumed: Int64 { input.offset }

    /// The next entry's header, or nil at the end of the archive.
    public mutating func next() throws -> TarHeader? {
        guard !finished else { return nil }
        do {
            try skipRest()
            guard let header = try readHeader() else {
                finished = true
                return nil
            }
            currentPath = header.path
            contentLeft = header.size
            paddingLeft = tarPadded(header.size) - header.size
            return header
        } catch let error as LayerArchiveError {
            finished = true
            throw currentPath.map { error.naming($0) } ?? error
        }
    }

    /// Up to `maxCount` bytes of the current entry's content; empty when it is all read.
    public mutating func readContent(upTo maxCount: Int = 64 * 1024) throws -> [UInt8] {
        guard contentLeft > 0, maxCount > 0 else { return [] }
        let chunk = try input.readSome(Int(min(Int64(maxCount), contentLeft)))
        if chunk.isEmpty {
            finished = true
            throw LayerArchiveError(.truncated, "archive ends in the middle of the entry's content", entry: currentPath)
        }
        contentLeft -= Int64(chunk.count)
        return chunk
    }

    /// Copies the rest of the current entry's content into `sink`.
    public mutating func copyContent<Sink: ByteSink>(to sink: inout Sink) throws {
        while true {
            let chunk = try readContent()
            if chunk.isEmpty { return }
            try sink.write(chunk)
        }
    }

    /// The rest of the current entry's content in memory, at most `limit` bytes (`.invalidUse` beyond).
    public mutating func readAllContent(limit: Int = 16 << 20) throws -> [UInt8] {
        guard contentLeft <= Int64(limit) else {
            throw LayerArchiveError(.invalidUse, "entry content is larger than \(limit) bytes", entry: currentPath)
        }
        var out: [UInt8] = []
        try copyContent(to: &out)
        return out
    }

    private mutating func skipRest() throws {
        try input.skip(contentLeft + paddingLeft, what: "the entry's content")
        contentLeft = 0
        paddingLeft = 0
    }

    /// Reads header blocks until a real entry, folding PAX and GNU long-name blocks into it.
    private mutating func readHeader() throws -> TarHeader? {
        var localRecords: [PaxRecord] = []
        var longName: String?
        var longLink: String?
        currentPath = nil
        while true {
            guard let block = try input.readExactly(tarBlockSize, what: "a header") else {
                if !localRecords.isEmpty || longName != nil || longLink != nil {
                    throw LayerArchiveError(.truncated, "archive ends after an extended header")
                }
                return nil
            }
            if block.allSatisfy({ $0 == 0 }) {
                if !localRecords.isEmpty || longName != nil || longLink != nil {
                    throw LayerArchiveError(.corruptArchive, "extended header not followed by an entry")
                }
                return nil
            }
            try verifyChecksum(block)
            let flag = block[UstarField.typeflag]
            switch flag {
            case UInt8(ascii: "x"):
                localRecords += try PaxRecords.parse(readMetadata(block, what: "PAX header"))
            case UInt8(ascii: "g"):
                globalRecords += try PaxRecords.parse(readMetadata(block, what: "PAX global header"))
            case UInt8(ascii: "L"):
                longName = Self.cString(try readMetadata(block, what: "GNU long name"))
            case UInt8(ascii: "K"):
                longLink = Self.cString(try readMetadata(block, what: "GNU long link name"))
            default:
                var header = try TarHeaderDecoder.decode(block)
                if let longName { header.path = longName }
                if let longLink { header.linkName = longLink }
                do {
                    try PaxRecords.apply(globalRecords + localRecords, to: &header)
                    try TarHeaderDecoder.validate(&header)
                } catch let error as LayerArchiveError {
                    throw error.naming(header.path)
                }
                return header
            }
        }
    }

    /// The content of an extended-header block (PAX or GNU long name), with its padding consumed.
    private mutating func readMetadata(_ block: [UInt8], what: String) throws -> [UInt8] {
        guard let size = HeaderField.number(block, UstarField.size), size >= 0 else {
            throw LayerArchiveError(.corruptArchive, "bad size field in \(what)")
        }
        guard size <= Int64(Self.maxMetadataSize) else {
            throw LayerArchiveError(.corruptArchive, "\(what) of \(size) bytes is larger than allowed")
        }
        let data = try input.readExactly(Int(size), what: what) ?? []
        guard data.count == Int(size) else {
            throw LayerArchiveError(.truncated, "archive ends in the middle of \(what)")
        }
        try input.skip(tarPadded(size) - size, what: what)
        return data
    }

    private func verifyChecksum(_ block: [UInt8]) throws {
        try TarBlock.verifyChecksum(block)
    }

    /// Bytes up to the first NUL, as text.
    static func cString(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
}

extension TarReader where Source == FileDescriptor {
    /// A reader over the file at `path` (uncompressed tar).
    public init(contentsOf path: String) throws {
        self.init(try FileDescriptor.open(reading: path))
    }
}

/// Turning a ustar/GNU/v7 header block into a `TarHeader`.
enum TarHeaderDecoder {
    static func decode(_ block: [UInt8]) throws -> TarHeader {
        let magic = Array(block[UstarField.magic])
        let isPosix = magic == Array("ustar\0".utf8)
        var path = HeaderField.string(block, UstarField.name)
        if isPosix {
            let prefix = HeaderField.string(block, UstarField.prefix)
            if !prefix.isEmpty { path = prefix + "/" + path }
        }
        func number(_ range: Range<Int>, _ field: String) throws -> Int64 {
            guard let value = HeaderField.number(block, range) else {
                throw LayerArchiveError(.corruptArchive, "bad \(field) field in header", entry: path)
            }
            return value
        }
        let type = try entryType(block[UstarField.typeflag], path: path)
        var header = TarHeader(path: path, type: type)
        header.mode = UInt32(truncatingIfNeeded: try number(UstarField.mode, "mode")) & 0o7777
        header.uid = Int(try number(UstarField.uid, "uid"))
        header.gid = Int(try number(UstarField.gid, "gid"))
        header.size = try number(UstarField.size, "size")
        header.modificationTime = TarTime(seconds: try number(UstarField.mtime, "mtime"))
        header.linkName = HeaderField.string(block, UstarField.linkname)
        header.userName = HeaderField.string(block, UstarField.uname)
        header.groupName = HeaderField.string(block, UstarField.gname)
        if type == .characterDevice || type == .blockDevice {
            header.deviceMajor = UInt32(truncatingIfNeeded: try number(UstarField.devmajor, "devmajor"))
            header.deviceMinor = UInt32(truncatingIfNeeded: try number(UstarField.devminor, "devminor"))
        }
        return header
    }

    private static func entryType(_ flag: UInt8, path: String) throws -> TarEntryType {
        switch flag {
        case 0: return path.hasSuffix("/") ? .directory : .regular
        case UInt8(ascii: "0"), UInt8(ascii: "7"): return .regular
        case UInt8(ascii: "1"): return .hardlink
        case UInt8(ascii: "2"): return .symlink
        case UInt8(ascii: "3"): return .characterDevice
        case UInt8(ascii: "4"): return .blockDevice
        case UInt8(ascii: "5"): return .directory
        case UInt8(ascii: "6"): return .fifo
        case UInt8(ascii: "S"):
            throw LayerArchiveError(.unsupported, "GNU sparse files are not supported", entry: path)
        default:
            let shown = (32..<127).contains(flag) ? "'\(Character(Unicode.Scalar(flag)))'" : "0x\(String(flag, radix: 16))"
            throw LayerArchiveError(.unsupported, "unsupported tar entry type \(shown)", entry: path)
        }
    }

    /// Checks the merged header: sizes in range, names without NUL; clears size for types
    /// that carry no content.
    static func validate(_ header: inout TarHeader) throws {
        guard !header.path.isEmpty else { throw LayerArchiveError(.corruptArchive, "entry with an empty name") }
        guard !header.path.utf8.contains(0), !header.linkName.utf8.contains(0) else {
            throw LayerArchiveError(.corruptArchive, "entry name contains a NUL byte")
        }
        guard header.size >= 0, header.uid >= 0, header.gid >= 0 else {
            throw LayerArchiveError(.corruptArchive, "negative size, uid or gid")
        }
        guard header.size <= tarMaxEntrySize else {
            throw LayerArchiveError(.corruptArchive, "entry size \(header.size) is implausibly large")
        }
        if !header.type.hasContent { header.size = 0 }
    }
}
