#if canImport(Glibc)
import Glibc
#endif

/// Something that gives bytes in chunks: a file, a network body, a decompressor.
///
/// Contract: `read(upTo:)` returns between 1 and `maxCount` bytes, or an empty array once the
/// stream has ended (and on every call after that). It throws on failure.
public protocol ByteSource {
    mutating func read(upTo maxCount: Int) throws -> [UInt8]
    /// Moves up to `count` bytes ahead without reading them, when the source can (a regular
    /// file: `lseek`); returns how many bytes were skipped, fewer than `count` only at the end of
    /// the source. nil: the source cannot skip, the caller reads and discards instead.
    mutating func skipAhead(_ count: Int64) throws -> Int64?
    /// True when ``skipAhead(_:)`` costs nothing and must be used for every skip, however short
    /// (a source that makes its bytes on demand, whose skipped bytes may no longer be readable);
    /// false: short skips are read through the reader's buffer.
    var skipsWithoutReading: Bool { get }
}

extension ByteSource {
    public mutating func skipAhead(_ count: Int64) throws -> Int64? { nil }
    public var skipsWithoutReading: Bool { false }
}

/// Something that takes bytes in order: a file, a digester, a compressor.
public protocol ByteSink {
    /// Takes all of `bytes` or throws.
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws
}

extension ByteSink {
    public mutating func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }
}

extension ByteSink where Self: AnyObject {
    /// For class sinks (compressors, files), usable through a `let`.
    public func write(_ bytes: [UInt8]) throws {
        var this = self
        try bytes.withUnsafeBytes { try this.write($0) }
    }
}

/// A source over bytes already in memory (small archives, tests).
public struct InMemorySource: ByteSource, Sendable {
    private let bytes: [UInt8]
    private var offset = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public mutating func read(upTo maxCount: Int) throws -> [UInt8] {
        let count = min(maxCount, bytes.count - offset)
        guard count > 0 else { return [] }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }
}

/// A source that calls a closure for each chunk; the closure returns an empty array at the end.
public struct ClosureSource: ByteSource {
    private let body: (Int) throws -> [UInt8]
    public init(_ body: @escaping (Int) throws -> [UInt8]) { self.body = body }
    public mutating func read(upTo maxCount: Int) throws -> [UInt8] { try body(maxCount) }
}

/// A byte array is a sink that collects everything in memory (small archives, tests).
extension Array: ByteSink where Element == UInt8 {
    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        append(contentsOf: bytes)
    }
}

/// A sink that calls a closure for each chunk written.
public struct ClosureSink: ByteSink {
    private let body: (UnsafeRawBufferPointer) throws -> Void
    public init(_ body: @escaping (UnsafeRawBufferPointer) throws -> Void) { self.body = body }
    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws { try body(bytes) }
}

/// An open file descriptor, owned: closed when the last copy of the handle goes away.
///
/// Swift may end an object's lifetime after its last use, not at the end of the scope: code
/// that passes `fd` on as a plain number must keep the handle alive meanwhile
/// (`withExtendedLifetime`).
///
/// Reading and writing go through `read(2)` / `write(2)`, retrying on `EINTR` and short writes.
public final class FileDescriptor: ByteSource, ByteSink {
    public let fd: Int32
    private let owned: Bool

    /// Wraps `fd`; when `owned`, the handle closes it on deinit.
    public init(fd: Int32, owned: Bool = true) {
        self.fd = fd
        self.owned = owned
    }

    /// Opens `path` for reading.
    public static func open(reading path: String) throws -> FileDescriptor {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw LayerArchiveError.system("open", entry: path) }
        return FileDescriptor(fd: fd)
    }

    /// Creates (or truncates) `path` for writing.
    public static func create(writing path: String, mode: mode_t = 0o644) throws -> FileDescriptor {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw LayerArchiveError.system("open", entry: path) }
        return FileDescriptor(fd: fd)
    }

    deinit {
        if owned { Glibc.close(fd) }
    }

    public func read(upTo maxCount: Int) throws -> [UInt8] {
        guard maxCount > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: maxCount)
        let count = try buffer.withUnsafeMutableBytes { try readSome(into: $0) }
        buffer.removeLast(maxCount - count)
        return buffer
    }

    /// Reads at most `buffer.count` bytes; 0 means end of file.
    public func readSome(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno != EINTR { throw LayerArchiveError.system("read") }
        }
    }

    /// A regular file skips with `lseek`, never past its end (a layer's skipped file content is
    /// never read: a snapshot that takes an upper file by rename reads nothing of it from the blob).
    public func skipAhead(_ count: Int64) throws -> Int64? {
        var info = stat()
        guard count > 0, fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        let here = lseek(fd, 0, SEEK_CUR)
        guard here >= 0 else { return nil }
        let target = min(Int64(here) + count, Int64(info.st_size))
        guard target >= Int64(here), lseek(fd, off_t(target), SEEK_SET) == off_t(target) else { throw LayerArchiveError.system("lseek") }
        return target - Int64(here)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw LayerArchiveError.system("write")
            }
            offset += n
        }
    }
}
