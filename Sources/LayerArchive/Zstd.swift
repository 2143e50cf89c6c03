import CZstd

/// zstd compression of a stream (push-style, as a `ByteSink`) with libzstd's own worker threads.
///
/// Contracts: the output depends only on the input and `level` — libzstd's multi-threaded mode
/// gives the same frame for any number of workers ≥ 1, and kiln always asks for at least one — so
/// SOURCE_DATE_EPOCH builds push identical blobs. Memory is bounded by libzstd's job buffers
/// (a few MiB a worker at the default levels). Call `finish()` to end the frame.
public final class ZstdCompressor<Sink: ByteSink>: ByteSink {
    public private(set) var sink: Sink
    private let context: OpaquePointer
    private var output: [UInt8]
    private var finished = false
    public private(set) var compressedCount: Int64 = 0

    /// The levels kiln accepts (libzstd's 1…19 regular levels and 20…22 ultra levels).
    public static var levels: ClosedRange<Int32> { 1...22 }
    public static var defaultLevel: Int32 { 3 }

    /// - Parameters:
    ///   - level: 1…22, or -1 for the default (3).
    ///   - workers: libzstd threads (at least 1).
    public init(sink: Sink, level: Int32 = -1, workers: Int = 2) throws {
        let level = level == -1 ? Self.defaultLevel : level
        guard Self.levels.contains(level) else { throw LayerArchiveError(.invalidUse, "zstd level \(level) is not 1…22") }
        guard let context = ZSTD_createCCtx() else { throw LayerArchiveError(.compression, "libzstd cannot allocate a compression context") }
        self.sink = sink
        self.context = context
        output = [UInt8](repeating: 0, count: ZSTD_CStreamOutSize())
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level), "set the level")
        let threads = ZSTD_CCtx_setParameter(context, ZSTD_c_nbWorkers, Int32(max(1, workers)))
        guard ZSTD_isError(threads) == 0 else {
            throw LayerArchiveError(.compression, "this libzstd has no multi-threading; kiln needs it for deterministic zstd output")
        }
    }

    deinit { ZSTD_freeCCtx(context) }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !finished else { throw LayerArchiveError(.invalidUse, "zstd write after finish") }
        guard !bytes.isEmpty else { return }
        var input = ZSTD_inBuffer(src: bytes.baseAddress, size: bytes.count, pos: 0)
        while input.pos < input.size {
            _ = try step(&input, ZSTD_e_continue)
        }
    }

    /// Flushes everything and ends the frame.
    public func finish() throws {
        guard !finished else { return }
        var input = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
        while try step(&input, ZSTD_e_end) != 0 {}
        finished = true
    }

    /// One call of ZSTD_compressStream2; writes what it produced; returns what is left to flush.
    private func step(_ input: inout ZSTD_inBuffer, _ mode: ZSTD_EndDirective) throws -> Int {
        let (left, produced) = output.withUnsafeMutableBytes { out -> (Int, Int) in
            var buffer = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
            let left = ZSTD_compressStream2(context, &buffer, &input, mode)
            return (left, buffer.pos)
        }
        try check(left, "compress")
        if produced > 0 {
            try output.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) }
            compressedCount += Int64(produced)
        }
        return left
    }

    private func check(_ code: Int, _ what: String) throws {
        guard ZSTD_isError(code) == 0 else {
            throw LayerArchiveError(.compression, "zstd cannot \(what): \(String(cString: ZSTD_getErrorName(code)))")
        }
    }
}

/// A `ByteSource` giving the decompressed bytes of a zstd source (one or more frames, as the
/// zstd format allows). A truncated stream throws `.truncated`; corrupt data `.corruptArchive`.
public final class ZstdDecompressingSource<Source: ByteSource>: ByteSource {
    private var source: Source
    private let context: OpaquePointer
    private var input: [UInt8] = []
    private var inputPos = 0
    private var sourceEnded = false
    /// Whether the last call ended exactly at a frame end (0 returned by ZSTD_decompressStream).
    private var atFrameEnd = true
    /// Whether the last call filled the output buffer (libzstd may hold more without new input).
    private var outputWasFull = false

    public init(_ source: Source) throws {
        guard let context = ZSTD_createDCtx() else { throw LayerArchiveError(.compression, "libzstd cannot allocate a decompression context") }
        self.source = source
        self.context = context
    }

    deinit { ZSTD_freeDCtx(context) }

    public func read(upTo maxCount: Int) throws -> [UInt8] {
        guard maxCount > 0 else { return [] }
        var out = [UInt8](repeating: 0, count: maxCount)
        let count = try out.withUnsafeMutableBytes { buffer -> Int in
            while true {
                if inputPos == input.count && !outputWasFull {
                    if sourceEnded {
                        guard atFrameEnd else { throw LayerArchiveError(.truncated, "zstd stream ends in the middle of a frame") }
                        return 0
                    }
                    input = try source.read(upTo: 128 * 1024)
                    inputPos = 0
                    if input.isEmpty { sourceEnded = true; continue }
                }
                let (status, consumed, produced) = input.withUnsafeBytes { inBytes -> (Int, Int, Int) in
                    var inBuffer = ZSTD_inBuffer(src: inBytes.baseAddress, size: inBytes.count, pos: inputPos)
                    var outBuffer = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
                    let status = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
                    return (status, inBuffer.pos, outBuffer.pos)
                }
                guard ZSTD_isError(status) == 0 else {
                    throw LayerArchiveError(.corruptArchive, "zstd data is corrupt: \(String(cString: ZSTD_getErrorName(status)))")
                }
                inputPos = consumed
                atFrameEnd = status == 0
                outputWasFull = produced == buffer.count
                if produced > 0 { return produced }
            }
        }
        out.removeLast(maxCount - count)
        return out
    }
}
