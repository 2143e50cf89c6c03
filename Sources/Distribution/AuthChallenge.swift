/// One challenge of a `WWW-Authenticate` header (RFC 7235): a scheme and its parameters.
///
/// `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a/b:pull,push"`
/// parses to scheme `bearer` with three parameters. Scheme and parameter names are lowercased;
/// values are unquoted (backslash escapes resolved) and may contain commas, spaces and `=`.
public struct AuthChallenge: Sendable, Hashable {
    /// The scheme, lowercased: `bearer`, `basic`.
    public var scheme: String
    /// Parameters by lowercased name.
    public var parameters: [String: String]

    public init(scheme: String, parameters: [String: String] = [:]) {
        self.scheme = scheme.lowercased()
        self.parameters = parameters
    }

    public var realm: String? { parameters["realm"] }
    public var service: String? { parameters["service"] }
    public var scope: String? { parameters["scope"] }

    /// Parses every challenge of one header value. Malformed tails are dropped rather than thrown:
    /// what parsed cleanly before them is kept. A header with several challenges
    /// (`Basic realm="x", Bearer realm="y"`) yields several values.
    public static func parse(_ header: String) -> [AuthChallenge] {
        var scanner = Scanner(Array(header.utf8))
        var result: [AuthChallenge] = []
        while true {
            scanner.skipSeparators()
            guard let scheme = scanner.token(), !scheme.isEmpty else { break }
            var challenge = AuthChallenge(scheme: scheme)
            // Parameters: name = value, separated by commas, until a token not followed by '='
            // (the next challenge's scheme) or the end.
            while true {
                let mark = scanner.position
                scanner.skipSeparators()
                guard let name = scanner.token(), !name.isEmpty else { scanner.position = mark; break }
                scanner.skipSpaces()
                guard scanner.consume(UInt8(ascii: "=")) else {
                    // Either a token68 (`Basic abc==` handled below) or the next challenge.
                    scanner.position = mark
                    break
                }
                scanner.skipSpaces()
                let value: String
                if scanner.peek == UInt8(ascii: "\"") {
                    guard let quoted = scanner.quoted() else { return result + [challenge] }
                    value = quoted
                } else {
                    value = scanner.token() ?? ""
                }
                challenge.parameters[name.lowercased()] = value
            }
            result.append(challenge)
        }
        return result
    }

    /// The first challenge of `scheme` (case-insensitive) among all of `headers`' values.
    public static func first(_ scheme: String, in headers: [String]) -> AuthChallenge? {
        headers.lazy.flatMap(parse).first { $0.scheme == scheme.lowercased() }
    }
}

/// A byte scanner for the header grammar: tokens, quoted strings, separators.
private struct Scanner {
    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

    mutating func skip(while predicate: (UInt8) -> Bool) {
        while let byte = peek, predicate(byte) { position += 1 }
    }

    mutating func skipSpaces() { skip(while: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) }

    mutating func skipSeparators() { skip(while: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: ",") }) }

    mutating func consume(_ byte: UInt8) -> Bool {
        guard peek == byte else { return false }
        position += 1
        return true
    }

    /// An RFC 7230 token (also accepts the token68 characters `/` and trailing `=` are not included).
    mutating func token() -> String? {
        let start = position
        skip(while: Self.isTokenByte)
        return start == position ? nil : String(decoding: bytes[start..<position], as: UTF8.self)
    }

    /// A quoted string starting at `"`; nil when unterminated.
    mutating func quoted() -> String? {
        guard consume(UInt8(ascii: "\"")) else { return nil }
        var out: [UInt8] = []
        while let byte = peek {
            position += 1
            if byte == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
            if byte == UInt8(ascii: "\\"), let next = peek {
                position += 1
                out.append(next)
            } else {
                out.append(byte)
            }
        }
        return nil
    }

    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~/:".utf8).contains(byte)
        }
    }
}
