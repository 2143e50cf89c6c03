import Foundation

/// An RFC 3339 date-time as image configs and history entries carry it
/// (`2024-01-22T18:57:46.389264713Z`, `1970-01-01T00:00:00Z`, `2019-01-01T10:00:00+02:00`).
///
/// Contract: ``text`` is exactly what was parsed or generated, so a decoded timestamp encodes to
/// the same characters; equality compares the text. Fractions keep nanosecond precision. Timestamps
/// that kiln makes are UTC with Go's RFC3339Nano layout (trailing fraction zeros removed), as Docker writes them.
public struct Timestamp: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The RFC 3339 text.
    public let text: String
    /// Whole seconds since 1970-01-01T00:00:00Z.
    public let secondsSinceEpoch: Int64
    /// Nanoseconds past ``secondsSinceEpoch``, `0..<1_000_000_000`.
    public let nanoseconds: Int32

    /// Parses RFC 3339 text. Throws ``ImageSpecError`` (`invalidTimestamp`).
    public init(parsing text: String) throws {
        guard let (seconds, nanos) = Self.parse(Array(text.utf8)) else {
            throw ImageSpecError(.invalidTimestamp, "invalid timestamp \(ImageSpecError.quote(text)): expected RFC 3339, e.g. 2024-01-31T12:00:00Z")
        }
        self.text = text
        secondsSinceEpoch = seconds
        nanoseconds = nanos
    }

    /// A UTC timestamp, `nanoseconds` clamped to `0..<1_000_000_000`. Years outside 0…9999 are clamped too.
    public init(secondsSinceEpoch: Int64, nanoseconds: Int32 = 0) {
        let minimum = Self.daysFromCivil(year: 0, month: 1, day: 1) * 86_400
        let maximum = Self.daysFromCivil(year: 9999, month: 12, day: 31) * 86_400 + 86_399
        let seconds = min(max(secondsSinceEpoch, minimum), maximum)
        let nanos = min(max(nanoseconds, 0), 999_999_999)
        self.secondsSinceEpoch = seconds
        self.nanoseconds = nanos
        text = Self.format(seconds: seconds, nanoseconds: nanos)
    }

    /// A UTC timestamp of `date`, to microsecond precision (a `Date` holds no more). A NaN date
    /// reads as the epoch; dates beyond years 0…9999 are clamped.
    public init(_ date: Date) {
        let micros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        let clamped = micros.isNaN ? 0 : Int64(max(min(micros, 9.0e18), -9.0e18))
        let seconds = clamped >= 0 ? clamped / 1_000_000 : -((-clamped + 999_999) / 1_000_000)
        self.init(secondsSinceEpoch: seconds, nanoseconds: Int32((clamped - seconds * 1_000_000) * 1000))
    }

    public var date: Date {
        Date(timeIntervalSince1970: Double(secondsSinceEpoch) + Double(nanoseconds) / 1e9)
    }

    public var description: String { text }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try ImageSpecError.locating(decoder) { try Timestamp(parsing: text) }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }

    // MARK: - Parsing and formatting

    private static func parse(_ b: [UInt8]) -> (Int64, Int32)? {
        func number(_ start: Int, _ count: Int) -> Int64? {
            guard start + count <= b.count else { return nil }
            var value: Int64 = 0
            for byte in b[start..<start + count] {
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int64(byte - 0x30)
            }
            return value
        }
        func byte(_ index: Int, is expected: Character) -> Bool {
            index < b.count && b[index] == expected.asciiValue
        }
        guard let year = number(0, 4), byte(4, is: "-"), let month = number(5, 2), byte(7, is: "-"),
              let day = number(8, 2), byte(10, is: "T") || byte(10, is: "t"),
              let hour = number(11, 2), byte(13, is: ":"), let minute = number(14, 2), byte(16, is: ":"),
              let second = number(17, 2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month),
              hour < 24, minute < 60, second < 60
        else { return nil }
        var index = 19
        var nanos: Int64 = 0
        if byte(index, is: ".") {
            index += 1
            var digits = 0
            while index < b.count, b[index] >= 0x30, b[index] <= 0x39 {
                if digits < 9 { nanos = nanos * 10 + Int64(b[index] - 0x30) }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 9) { nanos *= 10 }
        }
        var offset: Int64 = 0
        if byte(index, is: "Z") || byte(index, is: "z") {
            index += 1
        } else if byte(index, is: "+") || byte(index, is: "-") {
            guard let offsetHours = number(index + 1, 2), byte(index + 3, is: ":"), let offsetMinutes = number(index + 4, 2),
                  offsetHours < 24, offsetMinutes < 60
            else { return nil }
            offset = (offsetHours * 3600 + offsetMinutes * 60) * (b[index] == 0x2D ? -1 : 1)
            index += 6
        } else {
            return nil
        }
        guard index == b.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        return (days * 86_400 + hour * 3600 + minute * 60 + second - offset, Int32(nanos))
    }

    private static func format(seconds: Int64, nanoseconds: Int32) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : -((-seconds + 86_399) / 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civilFromDays(days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        var text = "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T"
            + "\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))"
        if nanoseconds > 0 {
            var fraction = pad(Int64(nanoseconds), 9)
            while fraction.hasSuffix("0") { fraction.removeLast() }
            text += "." + fraction
        }
        return text + "Z"
    }

    private static func isLeap(_ year: Int64) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    private static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's civil calendar algorithm).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civilFromDays(_ days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
