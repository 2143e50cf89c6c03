import Foundation

/// Docker's (go-units) human formats for sizes and durations.
enum HumanUnits {
    static let decimalUnits = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]

    /// `HumanSizeWithPrecision`: decimal units, `%.<precision>g` (`4.26MB`, `0B`, `1e+03kB`).
    static func size(_ bytes: Int64, precision: Int = 3) -> String {
        var value = Double(bytes)
        var unit = 0
        while value >= 1000, unit < decimalUnits.count - 1 {
            value /= 1000
            unit += 1
        }
        return String(format: "%.\(precision)g", value) + decimalUnits[unit]
    }

    /// `HumanSize`: precision 4.
    static func size4(_ bytes: Int64) -> String { size(bytes, precision: 4) }

    /// `HumanDuration`, as in `4 weeks` (Docker appends ` ago`).
    static func duration(_ interval: TimeInterval) -> String {
        let seconds = Int(interval)
        if seconds < 1 { return "Less than a second" }
        if seconds == 1 { return "1 second" }
        if seconds < 60 { return "\(seconds) seconds" }
        let minutes = Int(interval / 60)
        if minutes == 1 { return "About a minute" }
        if minutes < 60 { return "\(minutes) minutes" }
        let hours = Int((interval / 3600).rounded())
        if hours == 1 { return "About an hour" }
        if hours < 48 { return "\(hours) hours" }
        if hours < 24 * 7 * 2 { return "\(hours / 24) days" }
        if hours < 24 * 30 * 2 { return "\(hours / 24 / 7) weeks" }
        if hours < 24 * 365 * 2 { return "\(hours / 24 / 30) months" }
        return "\(Int(interval / 3600) / 24 / 365) years"
    }

    /// `N units ago` for a date, as Docker's CREATED columns.
    static func ago(_ date: Date?, now: Date = Date()) -> String {
        guard let date else { return "N/A" }
        return duration(now.timeIntervalSince(date)) + " ago"
    }

    /// Docker's `Ellipsis`: at most `width` characters, the last one `…` when cut.
    static func ellipsis(_ text: String, _ width: Int) -> String {
        let chars = Array(text)
        guard chars.count > width else { return text }
        return String(chars.prefix(width - 1)) + "…"
    }
}
