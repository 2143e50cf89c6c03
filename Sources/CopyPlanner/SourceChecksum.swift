import Foundation
import ImageSpec
import LayerArchive
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The cache checksum of a planned copy: every entry's path, type, mode, owner, size, link
/// target, device numbers, xattrs and content hash — never times, so touching a file without
/// changing it keeps the cache.
enum SourceChecksum {
    /// `cache` supplies remembered content digests of unchanged files (see ``FileChecksumCache``).
    static func digest(_ entries: [LayerEntry], cache: FileChecksumCache? = nil) throws -> Digest {
        let contents = try contentDigests(entries, cache: cache)
        var digester = Digester()
        var record: [UInt8] = []
        record.reserveCapacity(64 * 1024)
        for (index, entry) in entries.enumerated() {
            appendRecord(entry.header, content: contents[index]?.description, to: &record)
            if record.count >= 60 * 1024 {
                record.withUnsafeBytes { digester.update(bufferPointer: $0) }
                record.removeAll(keepingCapacity: true)
            }
        }
        record.withUnsafeBytes { digester.update(bufferPointer: $0) }
        return digester.finalize()
    }

    /// Whether an entry's content digest is part of its record.
    static func hasContent(_ entry: LayerEntry) -> Bool {
        entry.header.type == .regular && entry.header.size > 0 && entry.contentPath != nil
    }

    /// Appends one entry's record (`content`: its content digest's text when ``hasContent(_:)``):
    /// path, type, octal mode, uid:gid, size, link target, major,minor, each xattr as
    /// `key=hex,hex…` (keys sorted), each NUL-terminated, then the content digest and a newline.
    /// Written byte by byte (no string interpolation per entry): the same bytes as
    /// `"\(path)\0\(type)\0\(String(mode, radix: 8))\0\(uid):\(gid)\0…"`.
    static func appendRecord(_ h: TarHeader, content: String?, to out: inout [UInt8]) {
        out.append(contentsOf: h.path.utf8); out.append(0)
        out.append(contentsOf: typeNames[typeIndex(h.type)]); out.append(0)
        appendNumber(UInt64(h.mode), radix: 8, to: &out); out.append(0)
        appendSigned(h.uid, to: &out); out.append(UInt8(ascii: ":")); appendSigned(h.gid, to: &out); out.append(0)
        appendSigned(Int(h.size), to: &out); out.append(0)
        out.append(contentsOf: h.linkName.utf8); out.append(0)
        appendNumber(UInt64(h.deviceMajor), radix: 10, to: &out); out.append(UInt8(ascii: ","))
        appendNumber(UInt64(h.deviceMinor), radix: 10, to: &out); out.append(0)
        if !h.xattrs.isEmpty {
            for key in h.xattrs.keys.sorted() {
                out.append(contentsOf: key.utf8); out.append(UInt8(ascii: "="))
                for (i, byte) in h.xattrs[key]!.enumerated() {
                    if i > 0 { out.append(UInt8(ascii: ",")) }
                    appendNumber(UInt64(byte), radix: 16, to: &out)
                }
                out.append(0)
            }
        }
        if let content { out.append(contentsOf: content.utf8) }
        out.append(0x0a)
    }

    private static let typeNames: [[UInt8]] = [TarEntryType.regular, .directory, .symlink, .hardlink, .characterDevice,
                                               .blockDevice, .fifo].map { Array("\($0)".utf8) }

    private static func typeIndex(_ type: TarEntryType) -> Int {
        switch type {
        case .regular: return 0
        case .directory: return 1
        case .symlink: return 2
        case .hardlink: return 3
        case .characterDevice: return 4
        case .blockDevice: return 5
        case .fifo: return 6
        }
    }

    private static func appendSigned(_ value: Int, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        appendNumber(value.magnitude.toUInt64, radix: 10, to: &out)
    }

    /// Lower-case digits, no padding (as `String(value, radix:)`).
    private static func appendNumber(_ value: UInt64, radix: UInt64, to out: inout [UInt8]) {
        var digits: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                     UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { raw in
            let buffer = raw.bindMemory(to: UInt64.self)
            repeat {
                buffer[count] = rest % radix
                rest /= radix
                count += 1
            } while rest > 0
            for i in stride(from: count - 1, through: 0, by: -1) {
                let d = UInt8(buffer[i])
                out.append(d < 10 ? 0x30 + d : 0x61 + d - 10)
            }
        }
    }

    /// The content digest of every regular entry with content (nil for the others), the files read on
    /// every core: a cold plan of a large context is bound by opening and hashing its files, and the
    /// order of the records above does not depend on which file finishes first.
    private static func contentDigests(_ entries: [LayerEntry], cache: FileChecksumCache?) throws -> [Digest?] {
        let wanted = entries.indices.filter { hasContent(entries[$0]) }
        var results = [Digest?](repeating: nil, count: entries.count)
        let workers = min(ProcessInfo.processInfo.activeProcessorCount, 8)
        let batch = 64
        @Sendable func digest(_ index: Int, _ buffer: inout [UInt8]) throws -> Digest {
            let path = entries[index].contentPath!
            return try cache?.digest(of: path) { try contentDigest($0, buffer: &buffer) } ?? contentDigest(path, buffer: &buffer)
        }
        guard workers > 1, wanted.count > batch else {
            var buffer = [UInt8](repeating: 0, count: readSize)
            for index in wanted { results[index] = try digest(index, &buffer) }
            return results
        }
        // The next batch to take (wanted.count once a worker failed) and the first failure.
        let work = Mutex<(next: Int, failure: (any Error)?)>((0, nil))
        results.withUnsafeMutableBufferPointer { out in
            let out = UnsafeSendable(out)
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                var buffer = [UInt8](repeating: 0, count: readSize)
                while true {
                    let start: Int = work.withLock { state in
                        defer { state.next += batch }
                        return state.failure == nil ? state.next : wanted.count
                    }
                    guard start < wanted.count else { return }
                    do {
                        for index in wanted[start..<min(start + batch, wanted.count)] {
                            out.value[index] = try digest(index, &buffer)
                        }
                    } catch {
                        work.withLock { state in if state.failure == nil { state.failure = error } }
                        return
                    }
                }
            }
        }
        if let failure = work.withLock({ $0.failure }) { throw failure }
        return results
    }

    private static let readSize = 256 * 1024

    /// The sha256 of the file at `path`, read through `buffer` (reused from file to file).
    static func contentDigest(_ path: String, buffer: inout [UInt8]) throws -> Digest {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CopyError(.io, "cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var digester = Digester()
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw CopyError(.io, "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            buffer.withUnsafeBytes { digester.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
        return digester.finalize()
    }

    /// The sha256 of the file at `path` (a buffer of its own).
    static func contentDigest(_ path: String) throws -> Digest {
        var buffer = [UInt8](repeating: 0, count: readSize)
        return try contentDigest(path, buffer: &buffer)
    }
}

/// A buffer handed to concurrent workers that each write distinct indices.
private struct UnsafeSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

private extension UInt {
    var toUInt64: UInt64 { UInt64(self) }
}
