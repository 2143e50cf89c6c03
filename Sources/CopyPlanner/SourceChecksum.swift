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
        for (index, entry) in entries.enumerated() {
            let h = entry.header
            var record = "\(h.path)\u{0}\(h.type)\u{0}\(String(h.mode, radix: 8))\u{0}\(h.uid):\(h.gid)\u{0}\(h.size)\u{0}"
            record += "\(h.linkName)\u{0}\(h.deviceMajor),\(h.deviceMinor)\u{0}"
            for key in h.xattrs.keys.sorted() {
                record += "\(key)=\(h.xattrs[key]!.map { String($0, radix: 16) }.joined(separator: ","))\u{0}"
            }
            digester.update(Array(record.utf8))
            if let content = contents[index] {
                digester.update(Array(content.description.utf8))
            }
            digester.update([0x0a])
        }
        return digester.finalize()
    }

    /// The content digest of every regular entry with content (nil for the others), the files read on
    /// every core: a cold plan of a large context is bound by opening and hashing its files, and the
    /// order of the records above does not depend on which file finishes first.
    private static func contentDigests(_ entries: [LayerEntry], cache: FileChecksumCache?) throws -> [Digest?] {
        let wanted = entries.indices.filter {
            entries[$0].header.type == .regular && entries[$0].header.size > 0 && entries[$0].contentPath != nil
        }
        var results = [Digest?](repeating: nil, count: entries.count)
        let workers = min(ProcessInfo.processInfo.activeProcessorCount, 8)
        let batch = 64
        guard workers > 1, wanted.count > batch else {
            var buffer = [UInt8](repeating: 0, count: readSize)
            for index in wanted {
                let path = entries[index].contentPath!
                results[index] = try cache?.digest(of: path) { try contentDigest($0, buffer: &buffer) }
                    ?? contentDigest(path, buffer: &buffer)
            }
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
                            let path = entries[index].contentPath!
                            out.value[index] = try cache?.digest(of: path) { try contentDigest($0, buffer: &buffer) }
                                ?? contentDigest(path, buffer: &buffer)
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
    private static func contentDigest(_ path: String, buffer: inout [UInt8]) throws -> Digest {
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
}

/// A buffer handed to concurrent workers that each write distinct indices.
private struct UnsafeSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
