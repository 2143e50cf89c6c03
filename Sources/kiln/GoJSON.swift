import Foundation
import ImageSpec

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

    static func quote(_ s: String) -> String { GoJSONString.quote(s) }
}
