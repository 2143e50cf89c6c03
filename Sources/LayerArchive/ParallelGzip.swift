import CZlib
import Dispatch

/// A pigz-style gzip compressor: the input is cut into blocks compressed in parallel, each a raw
/// deflate stream primed with the previous block's last 32 KiB as dictionary and ended with a
/// sync flush (the last with the final block), so that their concatenation is one valid deflate
/// stream in one gzip member. The CRC-32 of the whole input is combined from the blocks' with
/// `crc32_combine`.
///
/// Contracts: the output depends only on the input, `level` and `blockSize` — never on timing
/// or the number of workers — and any gzip reader decodes it. At most `maxInFlight` blocks
/// (input and output) are held at once, so memory is bounded. Blocks are compressed on
/// Dispatch's global queue (the sink API is synchronous: `TarWriter` pushes into it), and
/// written to `sink` in order from the calling thread. Call `finish()` to write the end.
public final class ParallelGzipCompressor<Sink: ByteSink>: ByteSink {
    public private(set) var sink: Sink
    private let level: Int32
    private let blockSize: Int
    private let maxInFlight: Int
    private var current: [UInt8] = []
    private var dictionary: [UInt8] = []
    private var pending: [DeflateBlockJob] = []
    private var crc: UInt = 0
    private var length: Int64 = 0
    private var finished = false
    public private(set) var compressedCount: Int64 = 0

    public static var dictionarySize: Int { 32 * 1024 }

    /// - Parameters:
    ///   - level: zlib level, -1 (default, 6) or 0…9.
    ///   - blockSize: input bytes per block (at least 32 KiB; pigz uses 128 KiB).
    ///   - workers: blocks compressed at once; twice as many may be held.
    public init(sink: Sink, level: Int32 = -1, blockSize: Int = 128 * 1024, workers: Int = 2) throws {
        guard (-1...9).contains(level) else { throw LayerArchiveError(.invalidUse, "gzip level \(level) is not -1…9") }
        self.sink = sink
        self.level = level
        self.blockSize = max(blockSize, Self.dictionarySize)
        self.maxInFlight = max(1, workers) * 2
        current.reserveCapacity(self.blockSize)
        try emit(header())
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !finished else { throw LayerArchiveError(.invalidUse, "gzip write after finish") }
        var rest = bytes[...]
        while !rest.isEmpty {
            let take = min(rest.count, blockSize - current.count)
            current.append(contentsOf: rest.prefix(take))
            rest = rest.dropFirst(take)
            if current.count == blockSize { try submit(isLast: false) }
        }
    }

    /// Compresses what is left, waits for every block and writes the gzip trailer.
    public func finish() throws {
        guard !finished else { return }
        try submit(isLast: true)
        while !pending.isEmpty { try drainOldest() }
        var trailer: [UInt8] = []
        for shift in stride(from: 0, to: 32, by: 8) { trailer.append(UInt8(truncatingIfNeeded: crc >> shift)) }
        for shift in stride(from: 0, to: 32, by: 8) { trailer.append(UInt8(truncatingIfNeeded: length >> shift)) }
        try emit(trailer)
        finished = true
    }

    private func submit(isLast: Bool) throws {
        let job = DeflateBlockJob(input: current, dictionary: dictionary, level: level, isLast: isLast)
        dictionary = Array((dictionary + current).suffix(Self.dictionarySize))
        current = []
        current.reserveCapacity(blockSize)
        pending.append(job)
        DispatchQueue.global().async { job.run() }
        if pending.count >= maxInFlight { try drainOldest() }
    }

    private func drainOldest() throws {
        let job = pending.removeFirst()
        let block = try job.wait()
        crc = crc32_combine(crc, block.crc, off_t(job.input.count))
        length += Int64(job.input.count)
        try emit(block.compressed)
    }

    /// The 10-byte gzip header zlib writes: no name, mtime 0, OS Unix.
    private func header() -> [UInt8] {
        let extraFlags: UInt8 = level == 9 ? 2 : (level == 1 || level == 0) ? 4 : 0
        return [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, extraFlags, 3]
    }

    private func emit(_ bytes: [UInt8]) throws {
        try sink.write(bytes)
        compressedCount += Int64(bytes.count)
    }
}

/// One block's compression, run on a worker; the result is read once, after `wait()`.
/// `@unchecked Sendable`: the result is written once before the semaphore is signalled and
/// read only after waiting on it.
final class DeflateBlockJob: @unchecked Sendable {
    let input: [UInt8]
    private let dictionary: [UInt8]
    private let level: Int32
    private let isLast: Bool
    private var result: Result<(compressed: [UInt8], crc: UInt), LayerArchiveError> =
        .failure(LayerArchiveError(.compression, "block not compressed"))
    private let done = DispatchSemaphore(value: 0)

    init(input: [UInt8], dictionary: [UInt8], level: Int32, isLast: Bool) {
        self.input = input
        self.dictionary = dictionary
        self.level = level
        self.isLast = isLast
    }

    func run() {
        result = Result { try compress() }.mapError { $0 as? LayerArchiveError ?? LayerArchiveError(.compression, "\($0)") }
        done.signal()
    }

    func wait() throws -> (compressed: [UInt8], crc: UInt) {
        done.wait()
        return try result.get()
    }

    private func compress() throws -> (compressed: [UInt8], crc: UInt) {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        guard kiln_deflateInit2(stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK else {
            throw LayerArchiveError(.compression, "deflateInit2 failed")
        }
        defer { deflateEnd(stream) }
        if !dictionary.isEmpty {
            _ = dictionary.withUnsafeBufferPointer { deflateSetDictionary(stream, $0.baseAddress, uInt($0.count)) }
        }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(stream, uLong(input.count))) + 64)
        let flush = isLast ? Z_FINISH : Z_SYNC_FLUSH
        let produced = try input.withUnsafeBufferPointer { inBuffer in
            try output.withUnsafeMutableBufferPointer { outBuffer in
                stream.pointee.next_in = UnsafeMutablePointer(mutating: inBuffer.baseAddress)
                stream.pointee.avail_in = uInt(inBuffer.count)
                stream.pointee.next_out = outBuffer.baseAddress
                stream.pointee.avail_out = uInt(outBuffer.count)
                let status = deflate(stream, flush)
                guard (isLast ? status == Z_STREAM_END : status == Z_OK), stream.pointee.avail_in == 0 else {
                    throw LayerArchiveError(.compression, "deflate of a block failed (\(status))")
                }
                return outBuffer.count - Int(stream.pointee.avail_out)
            }
        }
        output.removeLast(output.count - produced)
        let crc = input.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
        return (output, crc)
    }
}
