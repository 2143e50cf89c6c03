import LayerArchive

/// The bytes of an ``IncrementalCopyPlanner`` record file: what one plan of a context COPY was
/// made of, so the next plan of the same step re-reads only what changed.
///
/// Little-endian binary (loading 27,000 entries must cost far less than the `lstat`s it saves):
/// a magic line, the plan's identity (request, source root, operand, destination), the scan start
/// its stamps come from, then per source entry its path below the operand, the scan's stamp, the
/// header fields `SourceHeaders.entry` sets and the content digest's text. Any damage (short,
/// unknown magic, a field out of range) reads as no record.
struct PlanRecordFile: Sendable {
    struct Entry: Sendable, Equatable {
        var sub: String
        var stamp: SourceStamp
        var header: TarHeader
        var hasContentPath: Bool
        var content: String
    }

    static let magic = Array("kiln-copy-plan 1\n".utf8)

    var identity: String
    var scanStarted: Int64
    var entries: [Entry]

    func encode() -> [UInt8] {
        var w = Writer()
        w.bytes.reserveCapacity(entries.count * 200 + 256)
        w.bytes.append(contentsOf: Self.magic)
        w.string(identity)
        w.int(scanStarted)
        w.int(Int64(entries.count))
        for e in entries {
            w.string(e.sub)
            let s = e.stamp
            w.int(Int64(bitPattern: s.device)); w.int(Int64(bitPattern: s.inode)); w.int(s.size); w.int(s.modified)
            w.int(s.changed); w.int(Int64(s.mode)); w.int(Int64(s.uid)); w.int(Int64(s.gid)); w.int(Int64(bitPattern: s.links))
            let h = e.header
            w.bytes.append(Self.typeCode(h.type))
            w.int(Int64(h.mode)); w.int(Int64(h.uid)); w.int(Int64(h.gid)); w.int(h.size)
            w.int(h.modificationTime.seconds); w.int(Int64(h.modificationTime.nanoseconds))
            w.string(h.linkName)
            w.int(Int64(h.deviceMajor)); w.int(Int64(h.deviceMinor))
            w.int(Int64(h.xattrs.count))
            for key in h.xattrs.keys.sorted() {
                w.string(key)
                w.int(Int64(h.xattrs[key]!.count))
                w.bytes.append(contentsOf: h.xattrs[key]!)
            }
            w.bytes.append(e.hasContentPath ? 1 : 0)
            w.string(e.content)
        }
        return w.bytes
    }

    /// nil for anything but a whole, well-formed record file.
    static func decode(_ bytes: [UInt8]) -> PlanRecordFile? {
        bytes.withUnsafeBufferPointer { buffer -> PlanRecordFile? in
            var r = Reader(buffer: buffer)
            guard buffer.count >= magic.count, Array(buffer[0..<magic.count]) == magic else { return nil }
            r.at = magic.count
            guard let identity = r.string(), let started = r.int(), let count = r.int(),
                  count >= 0, count <= Int64(buffer.count) else { return nil }
            var entries: [Entry] = []
            entries.reserveCapacity(Int(count))
            for _ in 0..<count {
                guard let sub = r.string(), let device = r.int(), let inode = r.int(), let size = r.int(),
                      let modified = r.int(), let changed = r.int(), let mode = r.int(), let uid = r.int(),
                      let gid = r.int(), let links = r.int(), let code = r.byte(), let type = typeOf(code),
                      let hMode = r.int(), let hUid = r.int(), let hGid = r.int(), let hSize = r.int(),
                      let seconds = r.int(), let nanos = r.int(), let linkName = r.string(),
                      let major = r.int(), let minor = r.int(), let xattrCount = r.int(), xattrCount >= 0
                else { return nil }
                var xattrs: [String: [UInt8]] = [:]
                for _ in 0..<xattrCount {
                    guard let key = r.string(), let length = r.int(), let value = r.raw(length) else { return nil }
                    xattrs[key] = value
                }
                guard let flag = r.byte(), let content = r.string(),
                      let stampMode = UInt32(exactly: mode), let stampUid = UInt32(exactly: uid), let stampGid = UInt32(exactly: gid),
                      let headerMode = UInt32(exactly: hMode), let nanoseconds = UInt32(exactly: nanos),
                      let deviceMajor = UInt32(exactly: major), let deviceMinor = UInt32(exactly: minor) else { return nil }
                let stamp = SourceStamp(device: UInt64(bitPattern: device), inode: UInt64(bitPattern: inode), size: size,
                                        modified: modified, changed: changed, mode: stampMode, uid: stampUid, gid: stampGid,
                                        links: UInt64(bitPattern: links))
                let header = TarHeader(path: "", type: type, mode: headerMode, uid: Int(hUid), gid: Int(hGid), size: hSize,
                                       modificationTime: TarTime(seconds: seconds, nanoseconds: nanoseconds), linkName: linkName,
                                       deviceMajor: deviceMajor, deviceMinor: deviceMinor, xattrs: xattrs)
                entries.append(Entry(sub: sub, stamp: stamp, header: header, hasContentPath: flag == 1, content: content))
            }
            guard r.at == buffer.count else { return nil }
            return PlanRecordFile(identity: identity, scanStarted: started, entries: entries)
        }
    }

    private static let types: [TarEntryType] = [.regular, .directory, .symlink, .hardlink, .characterDevice, .blockDevice, .fifo]

    private static func typeCode(_ type: TarEntryType) -> UInt8 { UInt8(types.firstIndex(of: type)!) }

    private static func typeOf(_ code: UInt8) -> TarEntryType? { Int(code) < types.count ? types[Int(code)] : nil }

    private struct Writer {
        var bytes: [UInt8] = []
        mutating func int(_ value: Int64) {
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }
        mutating func string(_ value: String) {
            let utf8 = value.utf8
            int(Int64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    private struct Reader {
        let buffer: UnsafeBufferPointer<UInt8>
        var at = 0
        mutating func byte() -> UInt8? {
            guard at < buffer.count else { return nil }
            defer { at += 1 }
            return buffer[at]
        }
        mutating func int() -> Int64? {
            guard buffer.count - at >= 8 else { return nil }
            var value: Int64 = 0
            for k in 0..<8 { value |= Int64(buffer[at + k]) << (8 * k) }
            at += 8
            return value
        }
        mutating func raw(_ length: Int64) -> [UInt8]? {
            guard length >= 0, Int64(buffer.count - at) >= length else { return nil }
            defer { at += Int(length) }
            return Array(buffer[at..<at + Int(length)])
        }
        mutating func string() -> String? {
            guard let length = int(), length >= 0, Int64(buffer.count - at) >= length else { return nil }
            defer { at += Int(length) }
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[at..<at + Int(length)]), as: UTF8.self)
        }
    }
}
