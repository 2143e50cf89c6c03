import DockerfileSyntax
import Foundation

/// A secret-looking value found in a line of text. Holds no copy of the value itself.
public struct SecretHit: Sendable, Hashable {
    /// What it looks like: `GitHub token`, `AWS access key ID`, `private key`, `value of API_TOKEN`.
    public var kind: String
    /// A safe stand-in for the value: at most a well-known public prefix, then `…`.
    public var masked: String
    /// Columns (1-based, in Unicode scalars, inclusive) of the value in the line.
    public var columns: ClosedRange<Int>
}

/// Finds credentials written into text: well-known token formats, private-key blocks, passwords
/// in URLs, and high-entropy literals assigned to sensitive names (`PASSWORD=`, `--token=`).
public enum SecretDetector {
    /// Shortest literal judged by entropy, and the bits per character it must reach.
    public static let minimumLength = 8
    public static let minimumEntropy = 3.0

    /// Whether a variable name has a `_`-delimited sensitive word (`API_TOKEN`, `DB_PASSWORD`), as
    /// BuildKit's SecretsUsedInArgOrEnv check decides: its value is then treated as a secret.
    public static func isSensitiveName(_ name: String) -> Bool {
        SecretRules.isSensitiveKey(name)
    }

    /// All hits in one line, left to right, without overlaps.
    public static func scan(line: String) -> [SecretHit] {
        let scalars = Array(line.unicodeScalars)
        var hits = TokenPatterns.scan(scalars) + privateKeyHits(scalars) + urlPasswordHits(scalars)
        for hit in AssignmentScanner.scan(scalars) where !hits.contains(where: { $0.columns.overlaps(hit.columns) }) {
            hits.append(hit)
        }
        return hits.sorted { $0.columns.lowerBound < $1.columns.lowerBound }
    }

    /// Shannon entropy of the text in bits per character.
    public static func entropy(_ text: some Sequence<Unicode.Scalar>) -> Double {
        var counts: [Unicode.Scalar: Int] = [:]
        var total = 0
        for s in text { counts[s, default: 0] += 1; total += 1 }
        guard total > 0 else { return 0 }
        return counts.values.reduce(0.0) { sum, n in
            let p = Double(n) / Double(total)
            return sum - p * log2(p)
        }
    }

    /// Whether a literal value is random enough to be a credential rather than a word or path.
    public static func looksRandom(_ value: [Unicode.Scalar]) -> Bool {
        guard value.count >= minimumLength, !value.contains("$"), !value.contains("`"), value.first != "/" else { return false }
        guard !isDottedName(value) else { return false }
        return entropy(value) >= minimumEntropy
    }

    /// A reverse-DNS or dotted identifier (`org.freedesktop.policykit.exec.path`): three or more
    /// dot-separated parts of lower-case letters, `-` and `_` only. Names, not credentials.
    static func isDottedName(_ value: [Unicode.Scalar]) -> Bool {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count >= 3 && parts.allSatisfy { part in
            !part.isEmpty && part.allSatisfy { ("a"..."z").contains($0) || $0 == "-" || $0 == "_" }
        }
    }

    /// `source` with the text of each single-line range replaced by `*`, so diagnostics can show
    /// the line without revealing the secret on it.
    public static func masking(_ source: String, ranges: [SourceRange]) -> String {
        var lines = source.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) }
        for range in ranges where range.start.line == range.end.line && lines.indices.contains(range.start.line - 1) {
            let i = range.start.line - 1
            for column in range.start.column...max(range.start.column, range.end.column) where column - 1 < lines[i].count {
                lines[i][column - 1] = "*"
            }
        }
        return lines.map { String(String.UnicodeScalarView($0)) }.joined(separator: "\n")
    }

    /// `-----BEGIN … PRIVATE KEY-----` headers.
    private static func privateKeyHits(_ s: [Unicode.Scalar]) -> [SecretHit] {
        let line = String(String.UnicodeScalarView(s))
        guard let begin = line.range(of: "-----BEGIN "), let key = line.range(of: "PRIVATE KEY", range: begin.upperBound..<line.endIndex) else { return [] }
        let start = line.unicodeScalars.distance(from: line.startIndex, to: begin.lowerBound) + 1
        let end = line.unicodeScalars.distance(from: line.startIndex, to: key.upperBound)
        return [SecretHit(kind: "private key", masked: "-----BEGIN … PRIVATE KEY-----", columns: start...end)]
    }

    /// `scheme://user:password@host`, unless the password is a variable.
    private static func urlPasswordHits(_ s: [Unicode.Scalar]) -> [SecretHit] {
        var hits: [SecretHit] = []
        var i = 0
        while i + 2 < s.count {
            defer { i += 1 }
            guard s[i] == ":", s[i + 1] == "/", s[i + 2] == "/" else { continue }
            var j = i + 3
            var colon: Int?
            while j < s.count, !" \t\"'/@".unicodeScalars.contains(s[j]) {
                if s[j] == ":", colon == nil { colon = j }
                j += 1
            }
            guard j < s.count, s[j] == "@", let colon, colon + 1 < j, s[colon + 1] != "$" else { continue }
            hits.append(SecretHit(kind: "password in URL", masked: "…", columns: (colon + 2)...j))
        }
        return hits
    }
}
