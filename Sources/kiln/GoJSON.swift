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
    /// A Go struct: members in declaration order (a template's `.Name` must exist).
    case object([(String, GoJSON)])
    /// A Go map (keys given sorted, as Go's encoder sorts them; a template's missing key is no error).
    case map([(String, GoJSON)])
    /// A nil slice or map: `null` in JSON, `[]` or `map[]` in a template.
    case nilSlice
    case nilMap

    static func strings(_ values: [String]?) -> GoJSON {
        values.map { .array($0.map { .string($0) }) } ?? .nilSlice
    }

    /// Compact form (`--format json`).
    var compact: String { render(indent: nil, level: 0) }

    /// `json.MarshalIndent(v, "", "    ")`.
    var pretty: String { render(indent: "    ", level: 0) }

    func render(indent: String?, level: Int, escapeHTML: Bool = true) -> String {
        let newline = indent == nil ? "" : "\n"
        let pad = { (n: Int) in String(repeating: indent ?? "", count: n) }
        switch self {
        case .string(let s): return escapeHTML ? Self.quote(s) : Self.quoteKeepingHTML(s)
        case .int(let n): return String(n)
        case .bool(let b): return b ? "true" : "false"
        case .null, .nilSlice, .nilMap: return "null"
        case .raw(let text): return text
        case .array(let items):
            if items.isEmpty { return "[]" }
            return "[" + newline + items.map { pad(level + 1) + $0.render(indent: indent, level: level + 1, escapeHTML: escapeHTML) }.joined(separator: "," + newline) + newline + pad(level) + "]"
        case .object(let members), .map(let members):
            if members.isEmpty { return "{}" }
            let sep = indent == nil ? ":" : ": "
            return "{" + newline + members.map { pad(level + 1) + (escapeHTML ? Self.quote($0.0) : Self.quoteKeepingHTML($0.0)) + sep + $0.1.render(indent: indent, level: level + 1, escapeHTML: escapeHTML) }.joined(separator: "," + newline) + newline + pad(level) + "}"
        }
    }

    static func quote(_ s: String) -> String { GoJSONString.quote(s) }

    /// Go's encoder with `SetEscapeHTML(false)`: `<`, `>`, `&` stay as they are.
    static func quoteKeepingHTML(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            if scalar == "<" || scalar == ">" || scalar == "&" {
                out.unicodeScalars.append(scalar)
            } else {
                out += GoJSONString.quote(String(scalar)).dropFirst().dropLast()
            }
        }
        return out + "\""
    }
}
