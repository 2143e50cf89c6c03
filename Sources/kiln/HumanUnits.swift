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

/// Go's `text/tabwriter` as Docker's tables use it (min width 10, padding 3, spaces): every cell
/// but the last of a row is padded to its column's widest cell plus 3, at least 10.
struct TableWriter {
    var rows: [[String]] = []

    mutating func add(_ cells: [String]) { rows.append(cells) }

    func render() -> String {
        var widths: [Int] = []
        for row in rows {
            for (i, cell) in row.enumerated().dropLast() {
                if widths.count <= i { widths.append(0) }
                widths[i] = max(widths[i], cell.count)
            }
        }
        return rows.map { row in
            var line = ""
            for (i, cell) in row.enumerated() {
                if i == row.count - 1 {
                    line += cell
                } else {
                    let width = max(widths[i] + 3, 10)
                    line += cell + String(repeating: " ", count: max(0, width - cell.count))
                }
            }
            return line
        }.joined(separator: "\n")
    }
}

/// JSON written the way Go's `encoding/json` does (what Docker prints): keys in the order given,
/// `<`, `>`, `&` escaped as `\u003c`, `\u003e`, `\u0026`.
indirect enum GoJSON {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case null
    /// Already-encoded JSON (numbers that are not integers).
    case raw(String)
    case array([GoJSON])
    case object([(String, GoJSON)])

    static func strings(_ values: [String]?) -> GoJSON {
        values.map { .array($0.map { .string($0) }) } ?? .null
    }

    /// Compact form (`--format json`).
    var compact: String { render(indent: nil, level: 0) }

    /// `json.MarshalIndent(v, "", "    ")`.
    var pretty: String { render(indent: "    ", level: 0) }

    func render(indent: String?, level: Int) -> String {
        let newline = indent == nil ? "" : "\n"
        let pad = { (n: Int) in String(repeating: indent ?? "", count: n) }
        switch self {
        case .string(let s): return Self.quote(s)
        case .int(let n): return String(n)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .raw(let text): return text
        case .array(let items):
            if items.isEmpty { return "[]" }
            return "[" + newline + items.map { pad(level + 1) + $0.render(indent: indent, level: level + 1) }.joined(separator: "," + newline) + newline + pad(level) + "]"
        case .object(let members):
            if members.isEmpty { return "{}" }
            let sep = indent == nil ? ":" : ": "
            return "{" + newline + members.map { pad(level + 1) + Self.quote($0.0) + sep + $0.1.render(indent: indent, level: level + 1) }.joined(separator: "," + newline) + newline + pad(level) + "}"
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
