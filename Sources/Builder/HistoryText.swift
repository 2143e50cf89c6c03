import DockerfileSyntax

/// The `created_by` texts Docker 20.10's BuildKit frontend writes (Go `%q`/`%v` formatting).
enum HistoryText {
    /// Go's `strconv.Quote` for the printable text Dockerfiles hold.
    static func goQuote(_ s: String) -> String { GoQuote.quote(s) }

    /// `["a" "b"]`: Go's `%q` of a string slice.
    static func quotedList(_ items: [String]) -> String {
        "[" + items.map(goQuote).joined(separator: " ") + "]"
    }

    /// Go's `%q` of an integer (a quoted rune), as HEALTHCHECK's Retries prints.
    static func quotedRune(_ value: Int) -> String {
        switch value {
        case 7: return "'\\a'"
        case 8: return "'\\b'"
        case 9: return "'\\t'"
        case 10: return "'\\n'"
        case 11: return "'\\v'"
        case 12: return "'\\f'"
        case 13: return "'\\r'"
        case 39: return "'\\''"
        case 92: return "'\\\\'"
        default:
            if value < 0x20 || value == 0x7F { return "'\\x" + hex(UInt32(value), 2) + "'" }
            if let scalar = Unicode.Scalar(UInt32(value)) { return "'" + String(Character(scalar)) + "'" }
            return "'\\ufffd'"
        }
    }

    /// Go's `time.Duration.String()` for nanoseconds.
    static func duration(_ ns: Int64) -> String {
        if ns == 0 { return "0s" }
        let negative = ns < 0
        let u = UInt64(negative ? -ns : ns)
        var text: String
        if u < 1_000_000_000 {
            let (unit, scale): (String, UInt64) = u < 1_000 ? ("ns", 1) : u < 1_000_000 ? ("µs", 1_000) : ("ms", 1_000_000)
            text = fraction(u, scale) + unit
        } else {
            var seconds = u / 1_000_000_000
            let frac = u % 1_000_000_000
            let h = seconds / 3600; seconds %= 3600
            let m = seconds / 60; seconds %= 60
            text = fraction(seconds * 1_000_000_000 + frac, 1_000_000_000) + "s"
            if h > 0 { text = "\(h)h\(m)m" + text } else if m > 0 { text = "\(m)m" + text }
        }
        return negative ? "-" + text : text
    }

    private static func fraction(_ value: UInt64, _ scale: UInt64) -> String {
        let whole = value / scale
        var rest = value % scale
        guard rest > 0 else { return "\(whole)" }
        var digits = ""
        var s = scale
        while rest > 0 {
            s /= 10
            digits += "\(rest / s)"
            rest %= s
        }
        return "\(whole).\(digits)"
    }

    private static func hex(_ v: UInt32, _ width: Int) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }

    /// `HEALTHCHECK &{["CMD" "x"] "1s" "1s" "1s" '\x01'}`.
    static func healthcheck(_ h: HealthConfig) -> String {
        "HEALTHCHECK &{\(quotedList(h.test)) \(goQuote(duration(h.interval))) \(goQuote(duration(h.timeout))) "
            + "\(goQuote(duration(h.startPeriod))) \(quotedRune(h.retries))}"
    }

    /// `EXPOSE [1234/udp 2375/tcp]`: current BuildKit's `EXPOSE %v` of the parsed port list, in
    /// the instruction's (sorted) order, ranges expanded (moby/buildkit 98eab3257, Dockerfile
    /// 1.19; testExportedHistory). Docker 20.10 printed the port map: `EXPOSE map[80/tcp:{}]`.
    static func expose(_ ports: [String]) -> String {
        "EXPOSE [" + ports.joined(separator: " ") + "]"
    }

    /// BuildKit's `runCommandString`: `|N K=V … ` prefix for the stage's ARGs, then the args. A
    /// name declared again keeps its first place with its latest value (moby/buildkit#5505,
    /// testExportedHistoryFlattenArgs: `ARG foo=bar`, `ARG bar=123`, `ARG foo=bar2` give
    /// `|2 foo=bar2 bar=123`).
    static func run(_ args: [String], buildArgs: [(name: String, value: String?)], env: [String: String]) -> String {
        var parts: [String] = []
        var index: [String: Int] = [:]
        for arg in buildArgs {
            let text = "\(arg.name)=\(env[arg.name] ?? arg.value ?? "")"
            if let i = index[arg.name] {
                parts[i] = text
            } else {
                index[arg.name] = parts.count
                parts.append(text)
            }
        }
        if !parts.isEmpty { parts.insert("|\(parts.count)", at: 0) }
        return "RUN " + (parts + args).joined(separator: " ") + " # buildkit"
    }
}
