/// One PAX extended-header record: `"<length> <key>=<value>\n"`.
struct PaxRecord: Sendable, Equatable {
    var key: String
    var value: [UInt8]

    init(_ key: String, _ value: [UInt8]) {
        self.key = key
        self.value = value
    }

    init(_ key: String, _ value: String) {
        self.init(key, Array(value.utf8))
    }
}

/// Parsing, encoding and applying PAX extended-header records.
enum PaxRecords {
    static let xattrPrefix = "SCHILY.xattr."

    /// Parses the content of a PAX header (`x` or `g`). Throws `.corruptArchive` on a malformed record.
    static func parse(_ data: [UInt8]) throws -> [PaxRecord] {
        var records: [PaxRecord] = []
        var offset = 0
        while offset < data.count {
            // Some writers pad the data with NULs: stop at the first one between records.
            if data[offset] == 0 { break }
            guard let space = data[offset...].firstIndex(of: UInt8(ascii: " ")), space > offset,
                  let length = decimal(data[offset..<space]), length > space - offset + 1,
                  length <= data.count - offset
            else { throw LayerArchiveError(.corruptArchive, "malformed PAX record length") }
            let end = offset + Int(length)
            guard data[end - 1] == UInt8(ascii: "\n"),
                  let equals = data[(space + 1)..<(end - 1)].firstIndex(of: UInt8(ascii: "=")),
                  equals > space + 1
            else { throw LayerArchiveError(.corruptArchive, "malformed PAX record") }
            let key = String(decoding: data[(space + 1)..<equals], as: UTF8.self)
            records.append(PaxRecord(key, Array(data[(equals + 1)..<(end - 1)])))
            offset = end
        }
        return records
    }

    /// Encodes records in the given order.
    static func encode(_ records: [PaxRecord]) -> [UInt8] {
        var out: [UInt8] = []
        for record in records {
            let body = 1 + record.key.utf8.count + 1 + record.value.count + 1  // " key=value\n"
            var length = body + String(body).count
            if String(length).count != String(body).count { length = body + String(length).count }
            out.append(contentsOf: Array(String(length).utf8))
            out.append(UInt8(ascii: " "))
            out.append(contentsOf: Array(record.key.utf8))
            out.append(UInt8(ascii: "="))
            out.append(contentsOf: record.value)
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }

    /// Overrides fields of `header` with the records (global ones first, then local ones).
    /// Unknown keys are ignored; GNU sparse-file records are `.unsupported`.
    static func apply(_ records: [PaxRecord], to header: inout TarHeader) throws {
        for record in records {
            try apply(record, to: &header)
        }
    }

    private static func apply(_ record: PaxRecord, to header: inout TarHeader) throws {
        let text = String(decoding: record.value, as: UTF8.self)
        func number() throws -> Int64 {
            guard let n = decimal(record.value[...]) else {
                throw LayerArchiveError(.corruptArchive, "bad PAX \(record.key) value \"\(text)\"")
            }
            return n
        }
        switch record.key {
        case "path": header.path = text
        case "linkpath": header.linkName = text
        case "uname": header.userName = text
        case "gname": header.groupName = text
        case "size": header.size = try number()
        case "uid": header.uid = Int(try number())
        case "gid": header.gid = Int(try number())
        case "mtime":
            guard let time = parseTime(record.value) else {
                throw LayerArchiveError(.corruptArchive, "bad PAX mtime value \"\(text)\"")
            }
            header.modificationTime = time
        default:
            if record.key.hasPrefix(xattrPrefix) {
                let name = String(record.key.dropFirst(xattrPrefix.count))
                guard !name.isEmpty else { throw LayerArchiveError(.corruptArchive, "PAX xattr record without a name") }
                header.xattrs[name] = record.value
            } else if record.key.hasPrefix("GNU.sparse.") {
                throw LayerArchiveError(.unsupported, "GNU sparse files are not supported")
            }
        }
    }

    /// A non-negative decimal number of at most 18 digits.
    static func decimal(_ bytes: ArraySlice<UInt8>) -> Int64? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var value: Int64 = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// `[-]seconds[.fraction]`; the fraction is cut to nanoseconds.
    static func parseTime(_ bytes: [UInt8]) -> TarTime? {
        var digits = bytes[...]
        let negative = digits.first == UInt8(ascii: "-")
        if negative { digits = digits.dropFirst() }
        let dot = digits.firstIndex(of: UInt8(ascii: "."))
        guard let whole = decimal(digits[digits.startIndex..<(dot ?? digits.endIndex)]) else { return nil }
        var nanos: Int64 = 0
        if let dot {
            let fraction = digits[(dot + 1)...]
            guard fraction.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
            let padded = Array(fraction.prefix(9)) + Array(repeating: UInt8(ascii: "0"), count: max(0, 9 - fraction.count))
            nanos = decimal(padded[...]) ?? 0
        }
        if !negative { return TarTime(seconds: whole, nanoseconds: UInt32(nanos)) }
        // -1.25 is 1.25 s before the epoch: seconds -2, nanoseconds 0.75e9.
        if nanos == 0 { return TarTime(seconds: -whole) }
        return TarTime(seconds: -whole - 1, nanoseconds: UInt32(1_000_000_000 - nanos))
    }

    /// The PAX text of a time: whole seconds, or seconds with up to nine fraction digits.
    static func formatTime(_ time: TarTime) -> String {
        guard time.nanoseconds != 0 else { return String(time.seconds) }
        var seconds = time.seconds
        var nanos = Int64(time.nanoseconds)
        var sign = ""
        if seconds < 0 {
            sign = "-"
            seconds = -(seconds + 1)
            nanos = 1_000_000_000 - nanos
        }
        var fraction = String(nanos)
        fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(sign)\(seconds).\(fraction)"
    }
}
