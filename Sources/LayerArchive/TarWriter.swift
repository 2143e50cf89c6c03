/// A streaming tar writer producing the archives Go's `archive/tar` (and so Docker and
/// BuildKit) produce: ustar headers, with a PAX extended header only for the fields that do
/// not fit ustar.
///
/// PAX records are written (sorted by key) for: a path that is non-ASCII or too long even
/// when split into ustar prefix/name; a link name that is non-ASCII or longer than 100 bytes;
/// user/group names that are non-ASCII or longer than 32 bytes; uid/gid ≥ 2^21; size ≥ 8 GiB;
/// an mtime with a fraction of a second or outside 0..<2^33; every xattr. Device numbers too
/// big for octal are written in GNU base-256.
///
/// Contracts: output is a pure function of the headers and content given (deterministic).
/// Directory names get a trailing `/`. Each entry's content must be exactly `size` bytes,
/// written before the next header: writing more, or starting the next entry or finishing with
/// bytes missing, throws `.invalidUse`. `finish()` writes the two zero blocks that end the
/// archive (no further padding); nothing may be written after it.
public struct TarWriter<Sink: ByteSink> {
    public private(set) var sink: Sink
    public private(set) var bytesWritten: Int64 = 0
    private var contentLeft: Int64 = 0
    private var paddingDue: Int = 0
    private var currentPath = ""
    private var finished = false

    public init(_ sink: Sink) {
        self.sink = sink
    }

    /// Starts an entry. For `.regular` entries, `header.size` bytes of content must follow.
    public mutating func writeHeader(_ header: TarHeader) throws {
        try checkEntryComplete()
        let (bytes, written) = try Self.encodedHeader(header)
        try emit(bytes)
        currentPath = written.path
        contentLeft = written.size
        paddingDue = Int(tarPadded(written.size) - written.size)
    }

    /// Exactly the bytes ``writeHeader(_:)`` writes for `header` (a PAX header and its records when
    /// needed, then the ustar block), and the header as written (directory names end in `/`, only
    /// regular files have a size). Throws `.invalidUse` for a header `writeHeader` refuses.
    public static func headerBytes(_ header: TarHeader) throws -> [UInt8] {
        try encodedHeader(header).bytes
    }

    private static func encodedHeader(_ header: TarHeader) throws -> (bytes: [UInt8], header: TarHeader) {
        var header = header
        if header.type == .directory, !header.path.hasSuffix("/") { header.path += "/" }
        if header.type != .regular { header.size = 0 }
        guard !header.path.isEmpty, !header.path.utf8.contains(0), !header.linkName.utf8.contains(0) else {
            throw LayerArchiveError(.invalidUse, "entry name is empty or contains NUL", entry: header.path)
        }
        guard header.size >= 0, header.size <= tarMaxEntrySize, header.uid >= 0, header.gid >= 0 else {
            throw LayerArchiveError(.invalidUse, "negative or huge size, or negative uid or gid", entry: header.path)
        }
        let (block, records) = TarHeaderEncoder.encode(header)
        guard !records.isEmpty else { return (block, header) }
        let data = PaxRecords.encode(records)
        var bytes = TarHeaderEncoder.paxHeaderBlock(for: header.path, dataSize: data.count)
        bytes.reserveCapacity(bytes.count + Int(tarPadded(Int64(data.count))) + block.count)
        bytes.append(contentsOf: data)
        bytes.append(contentsOf: repeatElement(0, count: Int(tarPadded(Int64(data.count))) - data.count))
        bytes.append(contentsOf: block)
        return (bytes, header)
    }

    /// Appends content to the current entry.
    public mutating func writeContent(_ bytes: UnsafeRawBufferPointer) throws {
        guard Int64(bytes.count) <= contentLeft else {
            throw LayerArchiveError(.invalidUse, "more content than the header's size", entry: currentPath)
        }
        try sink.write(bytes)
        bytesWritten += Int64(bytes.count)
        contentLeft -= Int64(bytes.count)
        if contentLeft == 0, paddingDue > 0 {
            try emit([UInt8](repeating: 0, count: paddingDue))
            paddingDue = 0
        }
    }

    public mutating func writeContent(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try writeContent($0) }
    }

    /// Writes a whole entry whose content is in memory (`header.size` is set from it).
    public mutating func append(_ header: TarHeader, content: [UInt8] = []) throws {
        var header = header
        if header.type == .regular { header.size = Int64(content.count) }
        try writeHeader(header)
        if !content.isEmpty { try writeContent(content) }
    }

    /// Ends the archive with two zero blocks.
    public mutating func finish() throws {
        try checkEntryComplete()
        try emit([UInt8](repeating: 0, count: 2 * tarBlockSize))
        finished = true
    }

    private mutating func checkEntryComplete() throws {
        guard !finished else { throw LayerArchiveError(.invalidUse, "write after the archive was finished") }
        guard contentLeft == 0 else {
            throw LayerArchiveError(.invalidUse, "entry content is \(contentLeft) bytes short of its size", entry: currentPath)
        }
    }

    private mutating func emit(_ bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { return }
        try sink.write(bytes)
        bytesWritten += Int64(bytes.count)
    }
}

/// Turning a `TarHeader` into a ustar block plus the PAX records it needs.
enum TarHeaderEncoder {
    static func encode(_ header: TarHeader) -> (block: [UInt8], records: [PaxRecord]) {
        var block = [UInt8](repeating: 0, count: tarBlockSize)
        var records: [PaxRecord] = []
        if let (prefix, name) = splitPath(header.path) {
            HeaderField.putString(prefix, into: &block, UstarField.prefix)
            HeaderField.putString(name, into: &block, UstarField.name)
        } else {
            HeaderField.putString(ascii(header.path), into: &block, UstarField.name)
            records.append(PaxRecord("path", header.path))
        }
        putText(header.linkName, "linkpath", UstarField.linkname, &block, &records)
        putText(header.userName, "uname", UstarField.uname, &block, &records)
        putText(header.groupName, "gname", UstarField.gname, &block, &records)
        HeaderField.putOctal(Int64(header.mode & 0o7777), into: &block, UstarField.mode)
        putNumber(Int64(header.uid), "uid", UstarField.uid, &block, &records)
        putNumber(Int64(header.gid), "gid", UstarField.gid, &block, &records)
        putNumber(header.size, "size", UstarField.size, &block, &records)
        let time = header.modificationTime
        if !HeaderField.putOctal(time.seconds, into: &block, UstarField.mtime) || time.nanoseconds != 0 {
            records.append(PaxRecord("mtime", PaxRecords.formatTime(time)))
        }
        if header.type == .characterDevice || header.type == .blockDevice {
            putDevice(header.deviceMajor, UstarField.devmajor, &block)
            putDevice(header.deviceMinor, UstarField.devminor, &block)
        }
        for (name, value) in header.xattrs {
            records.append(PaxRecord(PaxRecords.xattrPrefix + name, value))
        }
        block[UstarField.typeflag] = header.type.typeflag
        finishBlock(&block)
        records.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        return (block, records)
    }

    /// The `x` header announcing `dataSize` bytes of PAX records for the entry at `path`.
    static func paxHeaderBlock(for path: String, dataSize: Int) -> [UInt8] {
        var trimmed = Substring(path)
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        let base = parts.last.map(String.init) ?? ""
        let dir = parts.dropLast().joined(separator: "/")
        let name = (dir.isEmpty ? "" : dir + "/") + "PaxHeaders.0/" + base
        var block = [UInt8](repeating: 0, count: tarBlockSize)
        HeaderField.putString(ascii(name), into: &block, UstarField.name)
        HeaderField.putOctal(0, into: &block, UstarField.mode)
        HeaderField.putOctal(0, into: &block, UstarField.uid)
        HeaderField.putOctal(0, into: &block, UstarField.gid)
        HeaderField.putOctal(Int64(dataSize), into: &block, UstarField.size)
        HeaderField.putOctal(0, into: &block, UstarField.mtime)
        block[UstarField.typeflag] = UInt8(ascii: "x")
        finishBlock(&block)
        return block
    }

    private static func finishBlock(_ block: inout [UInt8]) {
        HeaderField.putString(Array("ustar\0".utf8), into: &block, UstarField.magic)
        HeaderField.putString(Array("00".utf8), into: &block, UstarField.version)
        HeaderField.putChecksum(into: &block)
    }

    /// The path as ustar prefix and name, when it is ASCII and fits (splitting at a `/`).
    static func splitPath(_ path: String) -> (prefix: [UInt8], name: [UInt8])? {
        let bytes = Array(path.utf8)
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
        if bytes.count <= UstarField.name.count { return ([], bytes) }
        // The split '/' must leave a non-empty name of ≤ 100 bytes and a prefix of ≤ 155 bytes;
        // a trailing '/' (directories) belongs to the name.
        var limit = min(bytes.count, UstarField.prefix.count + 1)
        if limit == bytes.count, bytes[limit - 1] == UInt8(ascii: "/") { limit -= 1 }
        guard let slash = bytes[..<limit].lastIndex(of: UInt8(ascii: "/")), slash > 0 else { return nil }
        let nameLength = bytes.count - slash - 1
        guard nameLength > 0, nameLength <= UstarField.name.count else { return nil }
        return (Array(bytes[..<slash]), Array(bytes[(slash + 1)...]))
    }

    private static func putText(_ text: String, _ key: String, _ range: Range<Int>,
                                _ block: inout [UInt8], _ records: inout [PaxRecord]) {
        let bytes = Array(text.utf8)
        if bytes.count > range.count || bytes.contains(where: { $0 >= 0x80 }) {
            records.append(PaxRecord(key, bytes))
            HeaderField.putString(ascii(text), into: &block, range)
        } else {
            HeaderField.putString(bytes, into: &block, range)
        }
    }

    private static func putNumber(_ value: Int64, _ key: String, _ range: Range<Int>,
                                  _ block: inout [UInt8], _ records: inout [PaxRecord]) {
        if !HeaderField.putOctal(value, into: &block, range) {
            HeaderField.putOctal(0, into: &block, range)
            records.append(PaxRecord(key, String(value)))
        }
    }

    private static func putDevice(_ value: UInt32, _ range: Range<Int>, _ block: inout [UInt8]) {
        if !HeaderField.putOctal(Int64(value), into: &block, range) {
            HeaderField.putBase256(Int64(value), into: &block, range)
        }
    }

    /// The ASCII bytes of `text` (others dropped), for the ustar field beside a PAX record.
    private static func ascii(_ text: String) -> [UInt8] {
        text.utf8.filter { $0 < 0x80 && $0 != 0 }
    }
}
