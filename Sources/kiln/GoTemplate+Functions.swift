import DockerfileSyntax
import Foundation

/// The functions a `--format` template can call: Go's builtins (`and`, `or`, `not`, `len`, `index`,
/// `print`, `printf`, `println`, `eq`, `ne`, `lt`, `le`, `gt`, `ge`) and the ones Docker adds
/// (`json`, `join`, `split`, `lower`, `upper`, `title`, `pad`, `truncate`).
extension GoTemplate {
    static let functionNames: Set<String> = [
        "and", "or", "not", "len", "index", "print", "printf", "println", "eq", "ne", "lt", "le", "gt", "ge",
        "json", "join", "split", "lower", "upper", "title", "pad", "truncate",
    ]

    static func call(_ name: String, _ args: [GoJSON]) throws -> GoJSON {
        func fail(_ message: String) -> ExecError { ExecError(message: "executing at <\(name)>: error calling \(name): \(message)") }
        func count(_ n: Int) throws {
            guard args.count == n else { throw ExecError(message: "executing at <\(name)>: wrong number of args for \(name): want \(n) got \(args.count)") }
        }
        func string(_ value: GoJSON) throws -> String {
            guard case .string(let s) = value else { throw fail("expected string; found \(text(value))") }
            return s
        }
        func int(_ value: GoJSON) throws -> Int {
            guard case .int(let n) = value else { throw fail("expected integer; found \(text(value))") }
            return Int(n)
        }
        switch name {
        case "and":
            guard !args.isEmpty else { throw fail("want at least 1 argument") }
            return args.first { !isTrue($0) } ?? args.last!
        case "or":
            guard !args.isEmpty else { throw fail("want at least 1 argument") }
            return args.first { isTrue($0) } ?? args.last!
        case "not":
            try count(1)
            return .bool(!isTrue(args[0]))
        case "len":
            try count(1)
            switch args[0] {
            case .string(let s): return .int(Int64(s.utf8.count))
            case .array(let items): return .int(Int64(items.count))
            case .map(let members): return .int(Int64(members.count))
            case .nilSlice, .nilMap: return .int(0)
            default: throw fail("len of type \(text(args[0]))")
            }
        case "index":
            guard var value = args.first else { throw fail("missing argument") }
            for key in args.dropFirst() {
                switch (value, key) {
                case (.array(let items), .int(let i)):
                    guard i >= 0, Int(i) < items.count else { throw fail("index out of range: \(i)") }
                    value = items[Int(i)]
                case (.map(let members), .string(let k)):
                    // A map of strings gives "" for a missing key (Go's zero value), others nil.
                    let strings = members.allSatisfy { if case .string = $0.1 { return true } else { return false } }
                    value = members.first { $0.0 == k }?.1 ?? (strings ? .string("") : noValue)
                case (.nilMap, .string):
                    value = .string("")
                case (.null, _):
                    throw fail("index of untyped nil")
                default:
                    throw fail("can't index item of type \(text(value)) with \(text(key))")
                }
            }
            return value
        case "print":
            var out = ""
            for (i, arg) in args.enumerated() {
                if i > 0, !isString(args[i - 1]), !isString(arg) { out += " " }
                out += text(arg)
            }
            return .string(out)
        case "println":
            return .string(args.map(text).joined(separator: " ") + "\n")
        case "printf":
            guard let format = args.first else { throw fail("missing format") }
            return .string(try printf(try string(format), Array(args.dropFirst())))
        case "eq":
            guard args.count >= 2 else { throw fail("missing argument for comparison") }
            return .bool(try args.dropFirst().contains { try equal(args[0], $0, fail) })
        case "ne":
            try count(2)
            return .bool(!(try equal(args[0], args[1], fail)))
        case "lt", "le", "gt", "ge":
            try count(2)
            let order: ComparisonResult
            switch (args[0], args[1]) {
            case (.int(let a), .int(let b)): order = a < b ? .orderedAscending : a > b ? .orderedDescending : .orderedSame
            case (.string(let a), .string(let b)): order = a < b ? .orderedAscending : a > b ? .orderedDescending : .orderedSame
            default: throw fail("incompatible types for comparison")
            }
            switch name {
            case "lt": return .bool(order == .orderedAscending)
            case "le": return .bool(order != .orderedDescending)
            case "gt": return .bool(order == .orderedDescending)
            default: return .bool(order != .orderedAscending)
            }
        case "json":
            try count(1)
            return .string(jsonText(args[0]))
        case "join":
            try count(2)
            let separator = try string(args[1])
            switch args[0] {
            case .array(let items): return .string(try items.map(string).joined(separator: separator))
            case .nilSlice: return .string("")
            default: throw fail("expected a list of strings; found \(text(args[0]))")
            }
        case "split":
            try count(2)
            let s = try string(args[0]), separator = try string(args[1])
            if separator.isEmpty { return .array(s.map { .string(String($0)) }) }
            return .array(s.components(separatedBy: separator).map { .string($0) })
        case "lower":
            try count(1)
            return .string(try string(args[0]).lowercased())
        case "upper":
            try count(1)
            return .string(try string(args[0]).uppercased())
        case "title":
            try count(1)
            var out = "", previous: Character = " "
            for c in try string(args[0]) {
                out += previous.isLetter || previous.isNumber || previous == "_" || previous == "'" ? String(c) : c.uppercased()
                previous = c
            }
            return .string(out)
        case "pad":
            try count(3)
            let s = try string(args[0])
            guard !s.isEmpty else { return .string("") }
            return .string(String(repeating: " ", count: max(0, try int(args[1]))) + s + String(repeating: " ", count: max(0, try int(args[2]))))
        case "truncate":
            try count(2)
            let s = Array(try string(args[0])), n = try int(args[1])
            return .string(s.count <= n ? String(s) : String(s.prefix(max(0, n))))
        default:
            throw ExecError(message: "function \"\(name)\" not defined")
        }
    }

    private static func isString(_ value: GoJSON) -> Bool {
        if case .string = value { return true }
        return false
    }

    private static func equal(_ a: GoJSON, _ b: GoJSON, _ fail: (String) -> ExecError) throws -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.bool(let x), .bool(let y)): return x == y
        case (.raw(let x), .raw(let y)): return x == y
        case (.int(let x), .raw(let y)), (.raw(let y), .int(let x)): return Double(y) == Double(x)
        case (.null, .null): return true
        default: throw fail("incompatible types for comparison")
        }
    }

    /// Docker's `json`: Go's encoder without HTML escaping, no trailing newline.
    static func jsonText(_ value: GoJSON) -> String {
        if case .raw("<no value>") = value { return "null" }
        return value.render(indent: nil, level: 0, escapeHTML: false)
    }

    /// `fmt.Sprintf` for the verbs templates use: `%s %v %d %q %t %x %%`, with a width and `-`.
    static func printf(_ format: String, _ args: [GoJSON]) throws -> String {
        var out = ""
        var rest = args[...]
        var chars = format.makeIterator()
        while let c = chars.next() {
            guard c == "%" else { out.append(c); continue }
            var flags = "", verb: Character = "v"
            while let d = chars.next() {
                if d.isNumber || d == "-" || d == "+" || d == "." || d == " " || d == "#" { flags.append(d) } else { verb = d; break }
            }
            if verb == "%" { out += "%"; continue }
            guard let arg = rest.popFirst() else { out += "%!\(verb)(MISSING)"; continue }
            var piece: String
            switch verb {
            case "q": if case .string(let s) = arg { piece = GoQuote.quote(s) } else { piece = text(arg) }
            case "x": if case .int(let n) = arg { piece = String(n, radix: 16) } else { piece = Array(text(arg).utf8).map { String(format: "%02x", $0) }.joined() }
            default: piece = text(arg)
            }
            let left = flags.hasPrefix("-")
            if let width = Int(flags.filter(\.isNumber)), piece.count < width {
                let pad = String(repeating: " ", count: width - piece.count)
                piece = left ? piece + pad : pad + piece
            }
            out += piece
        }
        for extra in rest { out += "%!(EXTRA \(text(extra)))" }
        return out
    }
}
