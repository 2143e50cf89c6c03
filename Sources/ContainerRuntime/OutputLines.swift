import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A container's stdout and stderr, read from their own pipes, merged into one output in whole
/// lines: runc relays the two streams separately, so read as one pipe a line of one could be cut
/// by a line of the other (a compiler's warning inside `make`'s block-buffered stdout). As
/// BuildKit keeps the streams apart, each stream's bytes are passed on up to their last newline;
/// the rest of a line waits for its newline, for the stream's end, or `holdNanoseconds` (a
/// progress bar redrawn with `\r`, a prompt); a line of one stream shown unfinished when the
/// other stream speaks is ended with a newline first. Bytes are never dropped or reordered within a stream.
struct OutputLines {
    static let holdNanoseconds: UInt64 = 100_000_000
    /// A line longer than this is passed on without waiting for its end.
    static let maxHeld = 65536

    private var held: [[UInt8]]
    /// When each stream's held bytes started waiting (0: none held).
    private var heldSince: [UInt64]
    /// The stream whose last bytes passed on did not end a line.
    private var openLine: Int?
    private let output: ([UInt8]) -> Void

    init(streams: Int, output: @escaping ([UInt8]) -> Void) {
        held = Array(repeating: [], count: streams)
        heldSince = Array(repeating: 0, count: streams)
        self.output = output
    }

    /// Bytes read from `stream` at time `now` (monotonic nanoseconds).
    mutating func add(_ stream: Int, _ bytes: ArraySlice<UInt8>, now: UInt64) {
        guard !bytes.isEmpty else { return }
        if held[stream].isEmpty { heldSince[stream] = now }
        held[stream] += bytes
        if let newline = held[stream].lastIndex(of: 0x0A) {
            pass(stream, Array(held[stream][...newline]))
            held[stream].removeFirst(newline + 1)
            heldSince[stream] = held[stream].isEmpty ? 0 : now
        }
        if held[stream].count >= Self.maxHeld { release(stream) }
    }

    /// Passes on what `stream` holds (its end, or its wait is over).
    mutating func release(_ stream: Int) {
        guard !held[stream].isEmpty else { return }
        pass(stream, held[stream])
        held[stream] = []
        heldSince[stream] = 0
    }

    /// Releases the streams whose bytes have waited `holdNanoseconds` by `now`; returns the
    /// nanoseconds until the next one's wait is over (nil: nothing held).
    mutating func releaseDue(now: UInt64) -> UInt64? {
        var next: UInt64?
        for stream in held.indices where heldSince[stream] != 0 {
            let due = heldSince[stream] + Self.holdNanoseconds
            if due <= now {
                release(stream)
            } else {
                next = min(next ?? .max, due - now)
            }
        }
        return next
    }

    private mutating func pass(_ stream: Int, _ bytes: [UInt8]) {
        if let open = openLine, open != stream {
            output([0x0A] + bytes)
        } else {
            output(bytes)
        }
        openLine = bytes.last == 0x0A ? nil : stream
    }

    /// Reads `fds` (a process's stdout and stderr) until each ends, on the calling thread, passing
    /// the merged lines to `output`; closes the descriptors. One descriptor (a terminal's) is
    /// passed on as it comes.
    static func read(_ fds: [Int32], output: @escaping ([UInt8]) -> Void) {
        if fds.count == 1 {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = buffer.withUnsafeMutableBytes { Glibc.read(fds[0], $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                if count <= 0 { break }
                output(Array(buffer[0..<count]))
            }
            close(fds[0])
            return
        }
        var lines = OutputLines(streams: fds.count, output: output)
        var polled = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while polled.contains(where: { $0.fd >= 0 }) {
            let wait = lines.releaseDue(now: DispatchTime.now().uptimeNanoseconds)
            let timeout = wait.map { Int32(min($0 / 1_000_000 + 1, 1000)) } ?? -1
            let ready = poll(&polled, nfds_t(polled.count), timeout)
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            for index in polled.indices where polled[index].fd >= 0 && polled[index].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { Glibc.read(polled[index].fd, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR || errno == EAGAIN { continue }
                if count <= 0 {
                    lines.release(index)
                    close(polled[index].fd)
                    polled[index].fd = -1
                    continue
                }
                lines.add(index, buffer[0..<count], now: DispatchTime.now().uptimeNanoseconds)
            }
        }
        for index in polled.indices {
            lines.release(index)
            if polled[index].fd >= 0 { close(polled[index].fd) }
        }
    }
}
