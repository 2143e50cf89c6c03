import CDeflate
import Dispatch

/// A parallel gzip compressor built on libdeflate: the input is cut into fixed blocks of
/// `blockSize` bytes, each compressed on a worker into one complete gzip member, and the members
/// are written to `sink` in order. A concatenation of gzip members is one gzip stream (RFC 1952
/// §2.2): `gzip -d`, Go's `compress/gzip` (multistream by default, as Docker and containerd read
/// layers), zlib's `inflate` with gzip framing and Python's `gzip` read it whole.
///
/// Contracts: the output depends only on the input, `level` and `blockSize`, never on timing or
/// on `workers` (so SOURCE_DATE_EPOCH builds push identical blobs). At most `2 × workers`
/// blocks (input and output) are held at once: memory stays bounded whatever the layer size.
/// Blocks are compressed on Dispatch's global queue and written from the calling thread.
/// Call `finish()` to flush the last block; an empty input gives one empty member.
public final class BlockGzipCompressor<Sink: ByteSink>: ByteSink {
    public private(set) var sink: Sink
    private let level: Int32
    private let blockSize: Int
    private let maxInFlight: Int
    private var current: [UInt8] = []
    private var pending: [GzipMemberJob] = []
    private var wroteAny = false
    private var finished = false
    public private(set) var compressedCount: Int64 = 0

    /// The levels libdeflate accepts (0 stores, 12 compresses hardest; 6 is zlib's default).
    public static var levels: ClosedRange<Int32> { 0...12 }
    public static var defaultLevel: Int32 { 6 }

    /// - Parameters:
    ///   - level: libdeflate level 0…12, or -1 for the default (6).
    ///   - blockSize: input bytes per gzip member (1 MiB: under 0.1% larger than one member).
    ///   - workers: members compressed at once.
    public init(sink: Sink, level: Int32 = -1, blockSize: Int = 1 << 20, workers: Int = 2) throws {
        let level = level == -1 ? Self.defaultLevel : level
        guard Self.levels.contains(level) else { throw LayerArchiveError(.invalidUse, "gzip level \(level) is not 0…12") }
        self.sink = sink
        self.level = level
        self.blockSize = max(blockSize, 64 * 1024)
        self.maxInFlight = max(1, workers) * 2
        current.reserveCapacity(self.blockSize)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !finished else { throw LayerArchiveError(.invalidUse, "gzip write after finish") }
        var rest = bytes[...]
        while !rest.isEmpty {
            let take = min(rest.count, blockSize - current.count)
            current.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest.prefix(take)))
            rest = rest.dropFirst(take)
            if current.count == blockSize { try submit() }
        }
    }

    /// Compresses what is left and waits for every member.
    public func finish() throws {
        guard !finished else { return }
        if !current.isEmpty || !wroteAny { try submit() }
        while !pending.isEmpty { try drainOldest() }
        finished = true
    }

    private func submit() throws {
        let job = GzipMemberJob(input: current, level: level)
        wroteAny = true
        current = []
        current.reserveCapacity(blockSize)
        pending.append(job)
        DispatchQueue.global().async { job.run() }
        if pending.count >= maxInFlight { try drainOldest() }
    }

    private func drainOldest() throws {
        let job = pending.removeFirst()
        let member = try job.wait()
        try sink.write(member)
        compressedCount += Int64(member.count)
    }
}

/// One gzip member compressed on a worker; the result is read once, after `wait()`.
/// `@unchecked Sendable`: the result is written once before the semaphore is signalled and read
/// only after waiting on it.
final class GzipMemberJob: @unchecked Sendable {
    private let input: [UInt8]
    private let level: Int32
    private var result: Result<[UInt8], LayerArchiveError> = .failure(LayerArchiveError(.compression, "block not compressed"))
    private let done = DispatchSemaphore(value: 0)

    init(input: [UInt8], level: Int32) {
        self.input = input
        self.level = level
    }

    func run() {
        result = compress()
        done.signal()
    }

    func wait() throws -> [UInt8] {
        done.wait()
        return try result.get()
    }

    private func compress() -> Result<[UInt8], LayerArchiveError> {
        guard let compressor = libdeflate_alloc_compressor(level) else {
            return .failure(LayerArchiveError(.compression, "libdeflate cannot allocate a level \(level) compressor"))
        }
        defer { libdeflate_free_compressor(compressor) }
        let bound = libdeflate_gzip_compress_bound(compressor, input.count)
        var output = [UInt8](repeating: 0, count: bound)
        let produced = input.withUnsafeBytes { inBuffer in
            output.withUnsafeMutableBytes { outBuffer in
                libdeflate_gzip_compress(compressor, inBuffer.baseAddress, inBuffer.count, outBuffer.baseAddress, outBuffer.count)
            }
        }
        guard produced > 0 else { return .failure(LayerArchiveError(.compression, "libdeflate could not compress a block")) }
        output.removeLast(output.count - produced)
        return .success(output)
    }
}
