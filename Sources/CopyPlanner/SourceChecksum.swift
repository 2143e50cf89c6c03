import ImageSpec
import LayerArchive

/// The cache checksum of a planned copy: every entry's path, type, mode, owner, size, link
/// target, device numbers, xattrs and content hash — never times, so touching a file without
/// changing it keeps the cache.
enum SourceChecksum {
    /// `cache` supplies remembered content digests of unchanged files (see ``FileChecksumCache``).
    static func digest(_ entries: [LayerEntry], cache: FileChecksumCache? = nil) throws -> Digest {
        var digester = Digester()
        var record: [UInt8] = []
        record.reserveCapacity(64 * 1024)
        for entry in entries {
            var content: String?
            if hasContent(entry), let path = entry.contentPath {
                content = try (cache?.digest(of: path, compute: contentDigest) ?? contentDigest(path)).description
            }
            appendRecord(entry.header, content: content, to: &record)
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

    static func contentDigest(_ path: String) throws -> Digest {
        let file: FileDescriptor
        do { file = try FileDescriptor.open(reading: path) } catch { throw CopyError(.io, "cannot read \(path): \(error)") }
        var digester = Digester()
        while true {
            let chunk = try file.read(upTo: 256 * 1024)
            if chunk.isEmpty { break }
            digester.update(chunk)
        }
        return digester.finalize()
    }
}

private extension UInt {
    var toUInt64: UInt64 { UInt64(self) }
}
