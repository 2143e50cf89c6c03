/// The kind of a tar entry.
public enum TarEntryType: Sendable, Equatable, Hashable {
    case regular
    case directory
    case symlink
    case hardlink
    case characterDevice
    case blockDevice
    case fifo

    /// The ustar typeflag byte written for this type.
    var typeflag: UInt8 {
        switch self {
        case .regular: return UInt8(ascii: "0")
        case .hardlink: return UInt8(ascii: "1")
        case .symlink: return UInt8(ascii: "2")
        case .characterDevice: return UInt8(ascii: "3")
        case .blockDevice: return UInt8(ascii: "4")
        case .directory: return UInt8(ascii: "5")
        case .fifo: return UInt8(ascii: "6")
        }
    }

    /// Whether entries of this type carry content after their header.
    var hasContent: Bool { self == .regular }
}

/// A point in time as tar stores it: seconds since the epoch plus nanoseconds (PAX `mtime`
/// may carry a fraction; ustar fields carry whole seconds only).
public struct TarTime: Sendable, Equatable, Hashable, Comparable {
    public var seconds: Int64
    /// 0 ..< 1_000_000_000.
    public var nanoseconds: UInt32

    public init(seconds: Int64, nanoseconds: UInt32 = 0) {
        self.seconds = seconds
        self.nanoseconds = min(nanoseconds, 999_999_999)
    }

    /// The same time without its fraction of a second (what Docker and BuildKit write).
    public var truncatedToSeconds: TarTime { TarTime(seconds: seconds) }

    public static func < (a: TarTime, b: TarTime) -> Bool {
        (a.seconds, a.nanoseconds) < (b.seconds, b.nanoseconds)
    }
}

/// One entry's metadata, as read from or written to a tar stream.
///
/// `path` and `linkName` are exactly as stored (a reader keeps a directory's trailing `/`;
/// a writer adds one when missing). Names are decoded as UTF-8; bytes that are not valid
/// UTF-8 are replaced (U+FFFD), so such names do not round-trip.
public struct TarHeader: Sendable, Equatable {
    public var path: String
    public var type: TarEntryType
    /// Permission bits, including set-uid, set-gid and sticky (`0o7777`).
    public var mode: UInt32
    public var uid: Int
    public var gid: Int
    public var userName: String
    public var groupName: String
    /// Content length; always 0 for types other than `.regular`.
    public var size: Int64
    public var modificationTime: TarTime
    /// Target of a symlink or hardlink; empty otherwise.
    public var linkName: String
    public var deviceMajor: UInt32
    public var deviceMinor: UInt32
    /// Extended attributes (PAX `SCHILY.xattr.NAME`), values as raw bytes.
    public var xattrs: [String: [UInt8]]

    public init(
        path: String, type: TarEntryType, mode: UInt32 = 0o644, uid: Int = 0, gid: Int = 0,
        userName: String = "", groupName: String = "", size: Int64 = 0,
        modificationTime: TarTime = TarTime(seconds: 0), linkName: String = "",
        deviceMajor: UInt32 = 0, deviceMinor: UInt32 = 0, xattrs: [String: [UInt8]] = [:]
    ) {
        self.path = path
        self.type = type
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.userName = userName
        self.groupName = groupName
        self.size = size
        self.modificationTime = modificationTime
        self.linkName = linkName
        self.deviceMajor = deviceMajor
        self.deviceMinor = deviceMinor
        self.xattrs = xattrs
    }
}

/// Byte offsets and lengths of the fields of a 512-byte ustar header block.
enum UstarField {
    static let name = 0..<100
    static let mode = 100..<108
    static let uid = 108..<116
    static let gid = 116..<124
    static let size = 124..<136
    static let mtime = 136..<148
    static let checksum = 148..<156
    static let typeflag = 156
    static let linkname = 157..<257
    static let magic = 257..<263
    static let version = 263..<265
    static let uname = 265..<297
    static let gname = 297..<329
    static let devmajor = 329..<337
    static let devminor = 337..<345
    static let prefix = 345..<500
}

/// The size of a tar block.
let tarBlockSize = 512

/// The largest entry size accepted (1 EiB): keeps size arithmetic far from overflow.
let tarMaxEntrySize: Int64 = 1 << 60

/// Rounds `n` up to a whole number of tar blocks.
func tarPadded(_ n: Int64) -> Int64 {
    (n + 511) / 512 * 512
}

/// Reading and writing the fixed-width fields of a header block.
enum HeaderField {
    /// The bytes of a NUL-terminated (or full-width) string field.
    static func bytes(_ block: [UInt8], _ range: Range<Int>) -> ArraySlice<UInt8> {
        let field = block[range]
        if let nul = field.firstIndex(of: 0) { return field[field.startIndex..<nul] }
        return field
    }

    static func string(_ block: [UInt8], _ range: Range<Int>) -> String {
        String(decoding: bytes(block, range), as: UTF8.self)
    }

    /// Parses a numeric field: octal (with leading/trailing spaces or NULs), or GNU base-256
    /// when the top bit of the first byte is set. Returns nil when it is neither.
    static func number(_ block: [UInt8], _ range: Range<Int>) -> Int64? {
        let field = block[range]
        guard let first = field.first else { return nil }
        if first & 0x80 != 0 { return base256(field) }
        var value: Int64 = 0
        var sawDigit = false
        var ended = false
        for byte in field {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                if ended { return nil }
                let (shifted, overflow) = value.multipliedReportingOverflow(by: 8)
                if overflow { return nil }
                value = shifted + Int64(byte - UInt8(ascii: "0"))
                sawDigit = true
            case 0, UInt8(ascii: " "):
                if sawDigit { ended = true }
            default:
                return nil
            }
        }
        return value
    }

    /// GNU base-256: big-endian two's complement with the marker bit 0x80 in the first byte.
    private static func base256(_ field: ArraySlice<UInt8>) -> Int64? {
        let negative = field.first! & 0x40 != 0
        var value: Int64 = 0
        for (i, raw) in field.enumerated() {
            var byte = i == 0 ? raw & 0x7f : raw
            if negative { byte = ~byte & (i == 0 ? 0x7f : 0xff) }
            if value > (Int64.max >> 8) { return nil }
            value = value << 8 | Int64(byte)
        }
        return negative ? -value - 1 : value
    }

    /// Writes `value` as zero-padded octal with a trailing NUL; false when it does not fit.
    @discardableResult
    static func putOctal(_ value: Int64, into block: inout [UInt8], _ range: Range<Int>) -> Bool {
        let digits = range.count - 1
        guard value >= 0, value < (Int64(1) << (3 * digits)) else { return false }
        var v = value
        for i in stride(from: range.lowerBound + digits - 1, through: range.lowerBound, by: -1) {
            block[i] = UInt8(ascii: "0") + UInt8(v & 7)
            v >>= 3
        }
        block[range.upperBound - 1] = 0
        return true
    }

    /// Writes non-negative `value` in GNU base-256.
    static func putBase256(_ value: Int64, into block: inout [UInt8], _ range: Range<Int>) {
        var v = value
        for i in stride(from: range.upperBound - 1, to: range.lowerBound, by: -1) {
            block[i] = UInt8(truncatingIfNeeded: v)
            v >>= 8
        }
        block[range.lowerBound] = 0x80
    }

    /// Copies at most `range.count` bytes of `text` into the field (the rest stays NUL).
    static func putString(_ text: [UInt8], into block: inout [UInt8], _ range: Range<Int>) {
        for (i, byte) in text.prefix(range.count).enumerated() { block[range.lowerBound + i] = byte }
    }

    /// The unsigned sum of the block with the checksum field taken as spaces, and the signed
    /// sum some old writers used.
    static func checksums(_ block: [UInt8]) -> (unsigned: Int64, signed: Int64) {
        var unsigned: Int64 = 0
        var signed: Int64 = 0
        block.withUnsafeBufferPointer { bytes in
            for i in 0..<bytes.count {
                let b = i >= 148 && i < 156 ? 0x20 : bytes[i]  // the checksum field counts as spaces
                unsigned &+= Int64(b)
                signed &+= Int64(Int8(bitPattern: b))
            }
        }
        return (unsigned, signed)
    }

    /// Fills the checksum field of a finished block (six octal digits, NUL, space).
    static func putChecksum(into block: inout [UInt8]) {
        let sum = checksums(block).unsigned
        putOctal(sum, into: &block, UstarField.checksum.lowerBound..<UstarField.checksum.lowerBound + 7)
        block[UstarField.checksum.upperBound - 1] = UInt8(ascii: " ")
    }
}
