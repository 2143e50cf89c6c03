/// Exact-length reads over a chunked `ByteSource`, for the tar reader.
struct BufferedReader<Source: ByteSource> {
    private(set) var source: Source
    private var buffer: [UInt8] = []
    private var position = 0
    private var sourceEnded = false
    /// How many bytes the reader has handed out or skipped so far.
    private(set) var offset: Int64 = 0

    static var chunkSize: Int { 64 * 1024 }

    init(_ source: Source) { self.source = source }

    private var available: Int { buffer.count - position }

    /// Makes at least one byte available; false at the end of the source.
    private mutating func fill() throws -> Bool {
        if available > 0 { return true }
        if sourceEnded { return false }
        let chunk = try source.read(upTo: Self.chunkSize)
        if chunk.isEmpty {
            sourceEnded = true
            return false
        }
        buffer = chunk
        position = 0
        return true
    }

    /// Up to `maxCount` bytes; empty only at the end of the source.
    mutating func readSome(_ maxCount: Int) throws -> [UInt8] {
        guard maxCount > 0, try fill() else { return [] }
        let count = min(maxCount, available)
        defer {
            position += count
            offset += Int64(count)
        }
        return Array(buffer[position..<position + count])
    }

    /// Exactly `count` bytes; nil when the source ended before the first byte,
    /// `.truncated` when it ended part-way.
    mutating func readExactly(_ count: Int, what: @autoclosure () -> String) throws -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            let chunk = try readSome(count - out.count)
            if chunk.isEmpty {
                if out.isEmpty { return nil }
                throw LayerArchiveError(.truncated, "archive ends in the middle of \(what())")
            }
            out.append(contentsOf: chunk)
        }
        return out
    }

    /// Discards exactly `count` bytes; `.truncated` when the source ends first.
    mutating func skip(_ count: Int64, what: @autoclosure () -> String) throws {
        var left = count
        // What is buffered first; then a large rest by seeking, when the source can (any rest, when
        // the source asks for it).
        let buffered = Int(min(Int64(available), left))
        position += buffered
        offset += Int64(buffered)
        left -= Int64(buffered)
        if left > (source.skipsWithoutReading ? 0 : Int64(Self.chunkSize)), !sourceEnded, let skipped = try source.skipAhead(left) {
            offset += skipped
            left -= skipped
            guard left == 0 else { throw LayerArchiveError(.truncated, "archive ends in the middle of \(what())") }
        }
        while left > 0 {
            guard try fill() else {
                throw LayerArchiveError(.truncated, "archive ends in the middle of \(what())")
            }
            let n = Int(min(Int64(available), left))
            position += n
            offset += Int64(n)
            left -= Int64(n)
        }
    }
}
