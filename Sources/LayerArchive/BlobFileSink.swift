import CFileIO
#if canImport(Glibc)
import Glibc
#endif

/// The sink a layer blob is written through into a new, empty file (the store's temp file), so the
/// later `fsync` has little left to do.
///
/// - Writeback starts early: every `writebackChunk` bytes the written range is handed to the
///   disk with `sync_file_range(SYNC_FILE_RANGE_WRITE)` (asynchronous, no wait), so the disk writes
///   while the next part of the layer is read and hashed. The caller's one `fsync` at the end
///   (``ContentStore/adoptBlob``) still makes the blob durable; this only moves work earlier.
/// - Zero blocks stay holes: a `blockSize`-aligned block of the file that would receive only zero
///   bytes is skipped (the file is fresh, so it reads back as zeros), and ``finish()`` sets the
///   file's size. The content is byte for byte the same; a layer holding zero-filled files
///   (preallocated images, `head -c N /dev/zero`) costs no disk writes for them.
///
/// - Direct (`direct: true`): the file is written with `O_DIRECT`, from the caller's memory to the
///   disk without the page cache. For a large blob that is made durable at once (a RUN's layer)
///   this skips a copy into new page-cache pages and their writeback, which costs more than the
///   disk write itself where fresh memory is expensive to touch (a VM whose free memory goes back
///   to the host: 512 MB written and fsynced in 1.5 s buffered, 0.27 s direct, on this project's
///   machine). Unaligned memory goes through an aligned bounce buffer; where the filesystem
///   refuses direct I/O, or for ``copyRange(from:offset:length:)``, the sink writes buffered.
///   Not for a blob read while it is written (direct writes bypass the readers' page cache).
///
/// Whole blocks are written straight from the caller's memory (one `pwrite` per run of non-zero
/// blocks); only a block's worth is buffered across writes (tar headers, a file's unaligned start).
/// `finish()` must be called after the last write (it writes the buffer and sets the size).
public final class BlobFileSink: ByteSink {
    public let fd: Int32
    /// Bytes handed to the file so far (excluding the buffer; the blob's size after `finish()`).
    public private(set) var count: Int64 = 0
    /// Blocks left as holes (zero blocks), for tests and traces.
    public private(set) var holeBlocks: Int64 = 0
    private let blockSize: Int
    private let maxRun: Int
    private let writebackChunk: Int64
    private var buffer: UnsafeMutableRawBufferPointer
    /// Bytes in `buffer`, which always starts at file offset `count` (a multiple of `blockSize`)
    /// and holds less than one block.
    private var buffered = 0
    private var writebackStart: Int64 = 0
    private var finished = false
    /// Whether writes go with O_DIRECT (see the type's notes), and the aligned buffer that takes
    /// what cannot go as it is.
    public private(set) var direct = false
    private var bounce: UnsafeMutableRawBufferPointer?
    private static let directAlignment = 4096
    private static let zeroBlock = [UInt8](repeating: 0, count: 65536)

    /// `fd`: an empty regular file open for writing (not owned: the caller closes it).
    /// Throws `.invalidUse` when the file is not empty. `direct`: write with O_DIRECT where the
    /// filesystem allows it (the type's notes).
    public init(fd: Int32, blockSize: Int = 4096, maxRun: Int = 1 << 20, writebackChunk: Int64 = 8 << 20,
                direct: Bool = false) throws {
        precondition(blockSize > 0 && blockSize <= 65536 && maxRun % blockSize == 0 && maxRun > 0)
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw LayerArchiveError.system("fstat") }
        guard info.st_mode & S_IFMT == S_IFREG, info.st_size == 0 else {
            throw LayerArchiveError(.invalidUse, "a blob file sink needs an empty regular file")
        }
        self.fd = fd
        self.blockSize = blockSize
        self.maxRun = maxRun
        self.writebackChunk = writebackChunk
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 4096)
        if direct, blockSize % Self.directAlignment == 0, kiln_set_direct(fd, 1) == 0 {
            self.direct = true
        }
    }

    deinit {
        buffer.deallocate()
        bounce?.deallocate()
    }

    /// Back to buffered writes (for the rest of the blob).
    private func leaveDirect() {
        guard direct else { return }
        direct = false
        _ = kiln_set_direct(fd, 0)
    }

    /// Every byte the blob has so far (written, copied or buffered).
    public var size: Int64 { count + Int64(buffered) }

    /// Starts the blob with the first `length` bytes of the file `source` (an earlier blob that
    /// begins the same way), as ``copyRange(from:offset:length:)``. Only on an empty sink.
    public func copyPrefix(from source: Int32, length: Int64) throws {
        guard !finished, count == 0, buffered == 0 else {
            throw LayerArchiveError(.invalidUse, "a blob prefix can only be copied into an empty blob")
        }
        try copyRange(from: source, offset: 0, length: length)
    }

    /// Appends `length` bytes of the file `source` from `offset` (a part of an earlier blob): up
    /// to the next block boundary and the last partial block through the buffer, the whole
    /// blocks between copied inside the kernel (`copy_file_range`, no user-space copy; a plain
    /// read and write where the filesystem refuses it). Throws `.io` when `source` ends first.
    /// Zero blocks are copied as they are (holes are kept only for written blocks).
    public func copyRange(from source: Int32, offset: Int64, length: Int64) throws {
        guard !finished else { throw LayerArchiveError(.invalidUse, "write after the blob was finished") }
        guard offset >= 0, length >= 0 else { throw LayerArchiveError(.invalidUse, "a negative range of an earlier blob") }
        leaveDirect()  // copy_file_range and the unaligned pieces around it go through the page cache
        var from = offset, left = length
        if buffered > 0 {
            let n = Int(min(Int64(blockSize - buffered), left))
            try readExactly(source, at: from, into: UnsafeMutableRawBufferPointer(rebasing: buffer[buffered..<(buffered + n)]))
            buffered += n
            from += Int64(n)
            left -= Int64(n)
            if buffered == blockSize { try flushBuffer() }
        }
        guard left > 0 else { return }
        let aligned = left / Int64(blockSize) * Int64(blockSize)
        var done: Int64 = 0
        while done < aligned {
            let n = kiln_copy_range(source, from + done, fd, count + done, aligned - done)
            if n < 0, errno == EINTR { continue }
            if n < 0, [EXDEV, ENOSYS, EINVAL, EOPNOTSUPP].contains(errno) {
                try copyByReading(from: source, range: (from + done)..<(from + aligned), to: count + done)
                break
            }
            guard n > 0 else {
                throw n == 0 ? LayerArchiveError(.io, "the earlier blob ended at \(from + done) bytes")
                             : LayerArchiveError.system("copy_file_range")
            }
            done += n
        }
        count += aligned
        if count - writebackStart >= writebackChunk { startWriteback(upTo: count) }
        let tail = Int(left - aligned)
        try readExactly(source, at: from + aligned, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<tail]))
        buffered = tail
    }

    private func readExactly(_ source: Int32, at offset: Int64, into target: UnsafeMutableRawBufferPointer) throws {
        var got = 0
        while got < target.count {
            let n = pread(source, target.baseAddress! + got, target.count - got, off_t(offset + Int64(got)))
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                throw n == 0 ? LayerArchiveError(.io, "the earlier blob ended at \(offset + Int64(got)) bytes")
                             : LayerArchiveError.system("read")
            }
            got += n
        }
    }

    private func copyByReading(from source: Int32, range: Range<Int64>, to destination: Int64) throws {
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
        defer { chunk.deallocate() }
        var at = range.lowerBound
        while at < range.upperBound {
            let n = pread(source, chunk.baseAddress!, Int(min(Int64(chunk.count), range.upperBound - at)), off_t(at))
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                throw n == 0 ? LayerArchiveError(.io, "the earlier blob ended at \(at) bytes")
                             : LayerArchiveError.system("read")
            }
            try writeAll(UnsafeRawBufferPointer(rebasing: chunk[0..<n]), at: destination + (at - range.lowerBound))
            at += Int64(n)
        }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !finished else { throw LayerArchiveError(.invalidUse, "write after the blob was finished") }
        var rest = bytes
        while !rest.isEmpty {
            if buffered == 0, rest.count >= blockSize {
                // Whole blocks straight from the caller's memory (no copy into the buffer).
                let n = min(rest.count / blockSize * blockSize, maxRun)
                try emit(UnsafeRawBufferPointer(rebasing: rest[0..<n]))
                rest = UnsafeRawBufferPointer(rebasing: rest[n...])
                continue
            }
            // Up to the next block boundary through the buffer.
            let n = min(rest.count, blockSize - buffered)
            UnsafeMutableRawBufferPointer(rebasing: buffer[buffered..<buffered + n]).copyMemory(from: UnsafeRawBufferPointer(rebasing: rest[0..<n]))
            buffered += n
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
            if buffered == blockSize { try flushBuffer() }
        }
    }

    /// Writes what is buffered, sets the file's size to every byte written (trailing holes
    /// included) and starts writeback of the rest. Call once, after the last write.
    public func finish() throws {
        guard !finished else { return }
        try flushBuffer()
        finished = true
        while ftruncate(fd, off_t(count)) != 0 {
            guard errno == EINTR else { throw LayerArchiveError.system("ftruncate") }
        }
        startWriteback(upTo: count)
    }

    private func flushBuffer() throws {
        guard buffered > 0 else { return }
        let n = buffered
        buffered = 0
        try emit(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
    }

    /// Writes `bytes` at `count` (a multiple of `blockSize`): its runs of non-zero blocks with one
    /// `pwrite` each, zero blocks skipped (a partial last block is always written).
    private func emit(_ bytes: UnsafeRawBufferPointer) throws {
        let base = count
        var start = 0
        while start < bytes.count {
            while start + blockSize <= bytes.count, isZero(bytes.baseAddress! + start) {
                start += blockSize
                holeBlocks += 1
            }
            guard start < bytes.count else { break }
            var end = min(start + blockSize, bytes.count)
            while end < bytes.count, end + blockSize > bytes.count || !isZero(bytes.baseAddress! + end) {
                end = min(end + blockSize, bytes.count)
            }
            try writeAll(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), at: base + Int64(start))
            start = end
        }
        count += Int64(bytes.count)
        if count - writebackStart >= writebackChunk { startWriteback(upTo: count / Int64(blockSize) * Int64(blockSize)) }
    }

    private func isZero(_ block: UnsafeRawPointer) -> Bool {
        Self.zeroBlock.withUnsafeBytes { memcmp(block, $0.baseAddress!, blockSize) == 0 }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws {
        if direct {
            if try writeDirect(bytes, at: offset) { return }
            leaveDirect()
        }
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + Int64(done)))
            if n < 0 {
                if errno == EINTR { continue }
                throw LayerArchiveError.system("write")
            }
            done += n
        }
    }

    /// Writes `bytes` at `offset` with O_DIRECT: straight from the caller's memory when it is
    /// aligned, through the bounce buffer otherwise (a partial last block padded with zeros, which
    /// ``finish()`` cuts off). False when the file refuses a direct write (EINVAL) before any byte
    /// was written; then the caller writes buffered.
    private func writeDirect(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws -> Bool {
        let align = Self.directAlignment
        guard offset % Int64(align) == 0 else { return false }
        if Int(bitPattern: bytes.baseAddress) % align == 0, bytes.count % align == 0 {
            return try pwriteDirect(bytes, at: offset)
        }
        if bounce == nil { bounce = .allocate(byteCount: maxRun, alignment: align) }
        let staging = bounce!
        var done = 0
        while done < bytes.count {
            let n = min(staging.count, bytes.count - done)
            staging.baseAddress!.copyMemory(from: bytes.baseAddress! + done, byteCount: n)
            let padded = (n + align - 1) / align * align
            if padded > n { memset(staging.baseAddress! + n, 0, padded - n) }
            guard try pwriteDirect(UnsafeRawBufferPointer(rebasing: staging[0..<padded]), at: offset + Int64(done)) else {
                // Only the first piece can be refused: a later refusal rewrites buffered from here.
                if done == 0 { return false }
                leaveDirect()
                try writeAll(UnsafeRawBufferPointer(rebasing: bytes[done...]), at: offset + Int64(done))
                return true
            }
            done += n
        }
        return true
    }

    /// One aligned direct write, whole; false when the file refuses it (EINVAL). The rest of a
    /// short write (a full disk, a signal) is written buffered, so its error is the usual one.
    private func pwriteDirect(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws -> Bool {
        while true {
            let n = pwrite(fd, bytes.baseAddress!, bytes.count, off_t(offset))
            if n < 0, errno == EINTR { continue }
            if n < 0, errno == EINVAL { return false }
            guard n >= 0 else { throw LayerArchiveError.system("write") }
            guard n == bytes.count else {
                leaveDirect()
                try writeAll(UnsafeRawBufferPointer(rebasing: bytes[n...]), at: offset + Int64(n))
                return true
            }
            return true
        }
    }

    /// Asks the kernel to start writing `writebackStart..<end` to disk without waiting for it (a
    /// hint: a failure here is not an error; the caller's fsync reports any write error).
    private func startWriteback(upTo end: Int64) {
        guard !direct, end > writebackStart else { return }
        _ = kiln_start_writeback(fd, writebackStart, end - writebackStart)
        writebackStart = end
    }
}
