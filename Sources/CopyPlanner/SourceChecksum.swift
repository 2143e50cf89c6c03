import ImageSpec
import LayerArchive

/// The cache checksum of a planned copy: every entry's path, type, mode, owner, size, link
/// target, device numbers, xattrs and content hash — never times, so touching a file without
/// changing it keeps the cache.
enum SourceChecksum {
    /// `cache` supplies remembered content digests of unchanged files (see ``FileChecksumCache``).
    static func digest(_ entries: [LayerEntry], cache: FileChecksumCache? = nil) throws -> Digest {
        var digester = Digester()
        for entry in entries {
            let h = entry.header
            var record = "\(h.path)\u{0}\(h.type)\u{0}\(String(h.mode, radix: 8))\u{0}\(h.uid):\(h.gid)\u{0}\(h.size)\u{0}"
            record += "\(h.linkName)\u{0}\(h.deviceMajor),\(h.deviceMinor)\u{0}"
            for key in h.xattrs.keys.sorted() {
                record += "\(key)=\(h.xattrs[key]!.map { String($0, radix: 16) }.joined(separator: ","))\u{0}"
            }
            digester.update(Array(record.utf8))
            if h.type == .regular, h.size > 0, let path = entry.contentPath {
                let content = try cache?.digest(of: path, compute: contentDigest) ?? contentDigest(path)
                digester.update(Array(content.description.utf8))
            }
            digester.update([0x0a])
        }
        return digester.finalize()
    }

    private static func contentDigest(_ path: String) throws -> Digest {
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
