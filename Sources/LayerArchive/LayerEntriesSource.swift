// Owns reading a layer's tar stream again from its entries instead of from its blob: the same
// bytes `LayerDiff.write` wrote, made on demand, so a snapshot can be applied without reading the
// blob back from the disk.
#if canImport(Glibc)
import Glibc
#endif

/// The uncompressed layer `LayerDiff.writeLayer(entries, clampingTimesTo: clamp)` writes, as a
/// ``ByteSource``: each header encoded when it is reached, each regular file's content read from
/// its `contentPath` only when the reader reads it (``skipAhead(_:)`` passes over it without
/// opening the file), the two zero blocks at the end.
///
/// For files nobody else changes between the write and this read (a finished RUN's upper
/// directory, which kiln owns): a file now shorter than its entry throws `.io`.
public struct LayerEntriesSource: ByteSource {
    private let entries: [LayerEntry]
    private let clamp: Int64?
    private var next = 0
    /// The current entry's header bytes not yet handed out.
    private var header: [UInt8] = []
    private var headerAt = 0
    /// The current entry's content: its file, the bytes of it handed out or skipped, and its size.
    private var contentPath: String?
    private var contentEntry = ""
    private var contentAt: Int64 = 0
    private var contentSize: Int64 = 0
    private var file: FileDescriptor?
    /// Zero bytes still due after the content (padding to 512), then after the last entry.
    private var zeros = 0
    private var trailerDone = false

    public init(_ entries: [LayerEntry], clampingTimesTo clamp: Int64? = nil) {
        self.entries = entries
        self.clamp = clamp
    }

    public mutating func read(upTo maxCount: Int) throws -> [UInt8] {
        guard maxCount > 0 else { return [] }
        while true {
            if headerAt < header.count {
                let n = min(maxCount, header.count - headerAt)
                defer { headerAt += n }
                return Array(header[headerAt..<headerAt + n])
            }
            if contentAt < contentSize {
                return try readContent(upTo: maxCount)
            }
            if zeros > 0 {
                let n = min(maxCount, zeros)
                zeros -= n
                return [UInt8](repeating: 0, count: n)
            }
            guard try advance() else { return [] }
        }
    }

    /// Skipped content is never read (the applier may have moved its file away meanwhile).
    public var skipsWithoutReading: Bool { true }

    public mutating func skipAhead(_ count: Int64) throws -> Int64? {
        var left = count
        while left > 0 {
            if headerAt < header.count {
                let n = Int(min(left, Int64(header.count - headerAt)))
                headerAt += n
                left -= Int64(n)
            } else if contentAt < contentSize {
                let n = min(left, contentSize - contentAt)
                contentAt += n
                left -= n
            } else if zeros > 0 {
                let n = Int(min(left, Int64(zeros)))
                zeros -= n
                left -= Int64(n)
            } else if try !advance() {
                break
            }
        }
        return count - left
    }

    /// Moves to the next entry (or to the closing zero blocks); false at the end of the stream.
    private mutating func advance() throws -> Bool {
        file = nil
        contentPath = nil
        contentAt = 0
        contentSize = 0
        header = []
        headerAt = 0
        guard next < entries.count else {
            guard !trailerDone else { return false }
            trailerDone = true
            zeros = 1024
            return true
        }
        let entry = entries[next]
        next += 1
        var written = entry.header
        if let clamp, written.modificationTime > TarTime(seconds: clamp) { written.modificationTime = TarTime(seconds: clamp) }
        header = try TarWriter<DiscardingSink>.headerBytes(written)
        if entry.header.type == .regular, entry.header.size > 0 {
            guard let path = entry.contentPath else {
                throw LayerArchiveError(.invalidUse, "regular file entry without content", entry: entry.header.path)
            }
            contentPath = path
            contentEntry = entry.header.path
            contentSize = entry.header.size
            zeros = Int(tarPadded(contentSize) - contentSize)
        }
        return true
    }

    private mutating func readContent(upTo maxCount: Int) throws -> [UInt8] {
        if file == nil {
            let fd = open(contentPath!, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { throw LayerArchiveError.system("open", entry: contentEntry) }
            file = FileDescriptor(fd: fd)
        }
        let want = Int(min(Int64(min(maxCount, 1 << 20)), contentSize - contentAt))
        var bytes = [UInt8](repeating: 0, count: want)
        let n = bytes.withUnsafeMutableBytes { pread(file!.fd, $0.baseAddress!, want, off_t(contentAt)) }
        guard n > 0 else {
            throw n == 0 ? LayerArchiveError(.io, "file shrank after it was written to the layer", entry: contentEntry)
                         : LayerArchiveError.system("read", entry: contentEntry)
        }
        contentAt += Int64(n)
        if n < want { bytes.removeLast(want - n) }
        return bytes
    }
}
