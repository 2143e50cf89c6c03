import CZlib

/// zlib's windowBits for gzip framing (15-bit window + 16), and for gzip-or-zlib detection (+32).
let gzipWindowBits: Int32 = 31
let gzipOrZlibWindowBits: Int32 = 47

/// A streaming gzip compressor: bytes written to it come out gzip-compressed into `sink`.
///
/// One gzip member, header with mtime 0 and no file name (deterministic: the same input and
/// level always give the same bytes). `finish()` must be called to write the trailer; after it,
/// writes throw `.invalidUse`. Owns its z_stream; not thread-safe.
public final class GzipCompressor<Sink: ByteSink>: ByteSink {
    public private(set) var sink: Sink
    private let stream: UnsafeMutablePointer<z_stream>
    private let output: UnsafeMutableRawBufferPointer
    private var finished = false
    /// Bytes taken in and given out so far.
    public private(set) var uncompressedCount: Int64 = 0
    public private(set) var compressedCount: Int64 = 0

    /// - Parameter level: 0 (store) … 9 (best); -1 is zlib's default (6).
    public init(sink: Sink, level: Int32 = -1) throws {
        self.sink = sink
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        output = .allocate(byteCount: 64 * 1024, alignment: 16)
        let status = kiln_deflateInit2(stream, level, Z_DEFLATED, gzipWindowBits, 8, Z_DEFAULT_STRATEGY)
        guard status == Z_OK else {
            stream.deallocate()
            output.deallocate()
            throw LayerArchiveError(.compression, "deflateInit2 failed (\(status)); bad level \(level)?")
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
        output.deallocate()
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !finished else { throw LayerArchiveError(.invalidUse, "gzip write after finish") }
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        var offset = 0
        while offset < bytes.count {  // zlib counts in 32 bits: feed at most 1 GiB at a time
            let count = min(bytes.count - offset, 1 << 30)
            stream.pointee.next_in = UnsafeMutablePointer(mutating: (base + offset).assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = uInt(count)
            try run(flush: Z_NO_FLUSH)
            offset += count
        }
        uncompressedCount += Int64(bytes.count)
    }

    /// Flushes the compressed data and writes the gzip trailer (CRC-32, length).
    public func finish() throws {
        guard !finished else { return }
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        try run(flush: Z_FINISH)
        finished = true
    }

    /// Runs deflate until the input is consumed (and, for Z_FINISH, the stream ended).
    private func run(flush: Int32) throws {
        while true {
            stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(output.count)
            let status = deflate(stream, flush)
            guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                throw LayerArchiveError(.compression, "deflate failed (\(status))")
            }
            let produced = output.count - Int(stream.pointee.avail_out)
            if produced > 0 {
                try sink.write(UnsafeRawBufferPointer(rebasing: output[0..<produced]))
                compressedCount += Int64(produced)
            }
            if flush == Z_FINISH {
                if status == Z_STREAM_END { return }
            } else if stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 {
                return
            }
        }
    }
}

/// zlib inflate with an owned input buffer, handling concatenated gzip members (as `gzip -d`
/// and pigz output need) and zero padding after the last member.
final class Inflater {
    private enum State { case beforeData, inMember, betweenMembers }

    private let stream: UnsafeMutablePointer<z_stream>
    private var input: UnsafeMutableRawBufferPointer
    private var state = State.beforeData
    /// Whether zero bytes followed the last member (then nothing else may follow).
    private var sawPadding = false

    init(acceptZlib: Bool) throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        input = .allocate(byteCount: 64 * 1024, alignment: 16)
        let status = kiln_inflateInit2(stream, acceptZlib ? gzipOrZlibWindowBits : gzipWindowBits)
        guard status == Z_OK else {
            stream.deallocate()
            input.deallocate()
            throw LayerArchiveError(.compression, "inflateInit2 failed (\(status))")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
        input.deallocate()
    }

    /// Whether zlib may hold decompressed bytes it could not hand out (the output was full).
    private var outputPending = false

    /// Whether all given input has been consumed and all output handed out.
    var needsInput: Bool { stream.pointee.avail_in == 0 && !outputPending }

    /// Gives the next compressed bytes; only when `needsInput`.
    func feed(_ bytes: UnsafeRawBufferPointer) {
        if bytes.count > input.count {
            input.deallocate()
            input = .allocate(byteCount: bytes.count, alignment: 16)
        }
        if bytes.count > 0 { input.copyMemory(from: bytes) }
        stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_in = uInt(bytes.count)
    }

    /// Decompresses into `out`; returns how many bytes were produced (0 when more input is needed).
    func inflate(into out: UnsafeMutableRawBufferPointer) throws -> Int {
        var produced = 0
        while produced < out.count && !needsInput {
            if state == .betweenMembers {
                guard try startNextMember() else { return produced }
            }
            state = .inMember
            stream.pointee.next_out = (out.baseAddress! + produced).assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(out.count - produced)
            let inBefore = stream.pointee.avail_in
            let status = CZlib.inflate(stream, Z_NO_FLUSH)
            let made = out.count - produced - Int(stream.pointee.avail_out)
            produced += made
            outputPending = status != Z_STREAM_END && stream.pointee.avail_out == 0
            switch status {
            case Z_STREAM_END:
                state = .betweenMembers
            case Z_OK, Z_BUF_ERROR:
                if made == 0 && stream.pointee.avail_in == inBefore && !needsInput {
                    throw LayerArchiveError(.compression, "gzip stream makes no progress (corrupt)")
                }
            default:
                throw LayerArchiveError(.corruptArchive, "corrupt gzip data: \(message(status))")
            }
        }
        return produced
    }

    /// After a member: skips zero padding; when a non-zero byte follows, resets for the next
    /// member. Returns false when all input so far was padding.
    private func startNextMember() throws -> Bool {
        while stream.pointee.avail_in > 0 && stream.pointee.next_in.pointee == 0 {
            stream.pointee.next_in += 1
            stream.pointee.avail_in -= 1
            sawPadding = true
        }
        guard stream.pointee.avail_in > 0 else { return false }
        if sawPadding {
            throw LayerArchiveError(.corruptArchive, "data after the zero padding that follows the gzip stream")
        }
        inflateReset(stream)
        return true
    }

    /// Checks the stream ended cleanly once the input is exhausted: `.truncated` otherwise.
    func finish() throws {
        switch state {
        case .betweenMembers: return
        case .beforeData: throw LayerArchiveError(.truncated, "empty gzip stream")
        case .inMember: throw LayerArchiveError(.truncated, "gzip stream is truncated")
        }
    }

    private func message(_ status: Int32) -> String {
        if let msg = stream.pointee.msg { return String(cString: msg) }
        return "zlib status \(status)"
    }
}

/// A `ByteSource` giving the decompressed bytes of a gzip-compressed source (pull style, for
/// `TarReader`). Concatenated members are read as one stream; a truncated or corrupt stream
/// throws (`.truncated` / `.corruptArchive`) rather than ending quietly.
public final class GzipDecompressingSource<Source: ByteSource>: ByteSource {
    private var source: Source
    private let inflater: Inflater
    private var sourceEnded = false

    /// - Parameter acceptZlib: also accept zlib framing (windowBits 47) besides gzip.
    public init(_ source: Source, acceptZlib: Bool = false) throws {
        self.source = source
        inflater = try Inflater(acceptZlib: acceptZlib)
    }

    public func read(upTo maxCount: Int) throws -> [UInt8] {
        guard maxCount > 0 else { return [] }
        var out = [UInt8](repeating: 0, count: maxCount)
        let count = try out.withUnsafeMutableBytes { buffer in
            while true {
                if inflater.needsInput {
                    if sourceEnded { try inflater.finish(); return 0 }
                    let chunk = try source.read(upTo: 64 * 1024)
                    if chunk.isEmpty { sourceEnded = true; continue }
                    guard chunk.count <= 1 << 30 else {
                        throw LayerArchiveError(.invalidUse, "byte source returned more than it was asked for")
                    }
                    chunk.withUnsafeBytes { inflater.feed($0) }
                }
                let n = try inflater.inflate(into: buffer)
                if n > 0 { return n }
            }
        }
        out.removeLast(maxCount - count)
        return out
    }
}

/// A push-style gzip decompressor: compressed bytes written to it come out decompressed into
/// `sink`. `finish()` checks the stream was complete (`.truncated` otherwise).
public final class GzipDecompressor<Sink: ByteSink>: ByteSink {
    public private(set) var sink: Sink
    private let inflater: Inflater
    private var output = [UInt8](repeating: 0, count: 64 * 1024)

    public init(sink: Sink, acceptZlib: Bool = false) throws {
        self.sink = sink
        inflater = try Inflater(acceptZlib: acceptZlib)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        for start in stride(from: 0, to: bytes.count, by: 64 * 1024) {
            inflater.feed(UnsafeRawBufferPointer(rebasing: bytes[start..<min(bytes.count, start + 64 * 1024)]))
            while !inflater.needsInput {
                let n = try output.withUnsafeMutableBytes { try inflater.inflate(into: $0) }
                if n > 0 { try output.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<n])) } }
            }
        }
    }

    public func finish() throws {
        try inflater.finish()
    }
}
