/// Well-known credential formats, recognised by their public prefix and body.
enum TokenPatterns {
    struct Pattern: Sendable {
        var kind: String
        var prefixes: [String]
        var minBody: Int
        var maxBody: Int
        var extraBodyCharacters: String
        /// Body characters restricted to upper-case letters and digits (AWS key IDs).
        var upperOnly = false
    }

    static let patterns: [Pattern] = [
        Pattern(kind: "AWS access key ID", prefixes: ["AKIA", "ASIA", "ABIA", "ACCA"], minBody: 16, maxBody: 16, extraBodyCharacters: "", upperOnly: true),
        Pattern(kind: "GitHub token", prefixes: ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"], minBody: 30, maxBody: 255, extraBodyCharacters: ""),
        Pattern(kind: "GitHub token", prefixes: ["github_pat_"], minBody: 22, maxBody: 255, extraBodyCharacters: "_"),
        Pattern(kind: "GitLab token", prefixes: ["glpat-"], minBody: 20, maxBody: 255, extraBodyCharacters: "-_"),
        Pattern(kind: "Slack token", prefixes: ["xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-"], minBody: 10, maxBody: 255, extraBodyCharacters: "-"),
        Pattern(kind: "Stripe key", prefixes: ["sk_live_", "rk_live_", "sk_test_", "rk_test_"], minBody: 16, maxBody: 255, extraBodyCharacters: ""),
        Pattern(kind: "API secret key", prefixes: ["sk-"], minBody: 20, maxBody: 255, extraBodyCharacters: "-_"),
        Pattern(kind: "Google API key", prefixes: ["AIza"], minBody: 35, maxBody: 35, extraBodyCharacters: "-_"),
        Pattern(kind: "npm token", prefixes: ["npm_"], minBody: 36, maxBody: 255, extraBodyCharacters: ""),
        Pattern(kind: "PyPI token", prefixes: ["pypi-"], minBody: 32, maxBody: 500, extraBodyCharacters: "-_"),
        Pattern(kind: "Hugging Face token", prefixes: ["hf_"], minBody: 30, maxBody: 255, extraBodyCharacters: ""),
        Pattern(kind: "Docker Hub token", prefixes: ["dckr_pat_"], minBody: 20, maxBody: 255, extraBodyCharacters: "-_"),
    ]

    /// Hits for every pattern in a line. A token must not be glued to a preceding letter or digit.
    static func scan(_ s: [Unicode.Scalar]) -> [SecretHit] {
        var hits: [SecretHit] = []
        var i = 0
        while i < s.count {
            if i == 0 || !isWordCharacter(s[i - 1]), let (pattern, prefix, end) = match(s, at: i) {
                hits.append(SecretHit(kind: pattern.kind, masked: prefix + "…", columns: (i + 1)...end))
                i = end
            } else {
                i += 1
            }
        }
        return hits
    }

    /// The pattern whose prefix and body start at `i`, with the prefix and the end column (1-based).
    private static func match(_ s: [Unicode.Scalar], at i: Int) -> (Pattern, String, Int)? {
        for pattern in patterns {
            for prefix in pattern.prefixes where hasPrefix(s, prefix, at: i) {
                let bodyStart = i + prefix.unicodeScalars.count
                var j = bodyStart
                while j < s.count, isBody(s[j], pattern) { j += 1 }
                let length = j - bodyStart
                guard length >= pattern.minBody, length <= pattern.maxBody else { continue }
                // Loose formats must also look random, so `sk-something-long-but-wordy` is not flagged.
                if pattern.prefixes == ["sk-"], !SecretDetector.looksRandom(Array(s[bodyStart..<j])) || !s[bodyStart..<j].contains(where: { $0.properties.numericType != nil }) { continue }
                return (pattern, prefix, j)
            }
        }
        return nil
    }

    private static func hasPrefix(_ s: [Unicode.Scalar], _ prefix: String, at i: Int) -> Bool {
        let p = Array(prefix.unicodeScalars)
        return i + p.count <= s.count && Array(s[i..<(i + p.count)]) == p
    }

    private static func isBody(_ c: Unicode.Scalar, _ pattern: Pattern) -> Bool {
        if pattern.extraBodyCharacters.unicodeScalars.contains(c) { return true }
        guard c.isASCII else { return false }
        if pattern.upperOnly { return ("A"..."Z").contains(c) || ("0"..."9").contains(c) }
        return isWordCharacter(c) && c != "_"
    }

    static func isWordCharacter(_ c: Unicode.Scalar) -> Bool {
        c.isASCII && (("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "_")
    }
}

/// High-entropy literals assigned to sensitive names: `NAME=value`, `--name=value`,
/// `--name value`, and the legacy `ENV NAME value` / `ARG`-less `LABEL name value` forms.
enum AssignmentScanner {
    /// Name fragments that mark a credential.
    static let sensitiveFragments = ["password", "passwd", "passphrase", "secret", "token", "apikey", "api_key", "api-key",
                                     "accesskey", "access_key", "privatekey", "private_key", "credential"]
    /// Whole `_`/`-`/`.`-separated name parts that mark a credential.
    static let sensitiveParts: Set<String> = ["pass", "pwd", "key", "pat", "auth"]
    /// Name parts that say the value is not the secret itself.
    static let harmlessParts: Set<String> = ["file", "path", "dir", "public", "version", "id", "url", "user", "name", "type", "length", "size",
                                            "gpg", "pgp", "fingerprint", "checksum", "sha", "sha1", "sha256", "sha512", "hash", "digest"]

    /// Flags that turn a password off or ask for one rather than give it (`--disabled-password`,
    /// `--no-password`, `--password-stdin`, `--ask-pass`): the next word is never their value.
    static func isSwitch(_ name: String) -> Bool {
        let parts = name.lowercased().split(whereSeparator: { $0 == "_" || $0 == "-" || $0 == "." }).map(String.init)
        let switches: Set<String> = ["disabled", "disable", "no", "without", "stdin", "ask", "prompt", "empty"]
        return !switches.isDisjoint(with: parts)
    }

    static func isSensitive(_ name: String) -> Bool {
        let lower = name.lowercased()
        let parts = Set(lower.split(whereSeparator: { $0 == "_" || $0 == "-" || $0 == "." }).map(String.init))
        guard parts.isDisjoint(with: harmlessParts) else { return false }
        return sensitiveFragments.contains { lower.contains($0) } || !parts.isDisjoint(with: sensitiveParts)
    }

    static func scan(_ s: [Unicode.Scalar]) -> [SecretHit] {
        let words = split(s)
        var hits: [SecretHit] = []
        for (index, word) in words.enumerated() {
            let text = Array(s[word])
            if let eq = text.firstIndex(of: "=") {
                let name = String(String.UnicodeScalarView(text[..<eq].drop { $0 == "-" }))
                let valueStart = word.lowerBound + eq + 1
                if let hit = judge(name: name, s, valueStart..<word.upperBound) { hits.append(hit) }
            } else if index + 1 < words.count, let name = nameExpectingValue(words, index, s),
                      !isOption(s[words[index + 1]]) {
                if let hit = judge(name: name, s, words[index + 1]) { hits.append(hit) }
            }
        }
        return hits
    }

    /// An OpenPGP key fingerprint or long key ID as written to fetch a signing key (40 or 16
    /// upper-case hex digits, `key='B97B0AFCAA1A47F044F244A07FCC7D46ACCC4CF8'`): public, not a secret.
    private static func isKeyFingerprint(_ value: ArraySlice<Unicode.Scalar>) -> Bool {
        (value.count == 40 || value.count == 16) && value.allSatisfy { ("0"..."9").contains($0) || ("A"..."F").contains($0) }
    }

    /// Whether a word is a command-line option (`--gecos`, `-D`): then the flag before it takes no
    /// value (`adduser --disabled-password --no-create-home app`).
    private static func isOption(_ word: ArraySlice<Unicode.Scalar>) -> Bool {
        word.first == "-" && word.count > 1
    }

    /// `--token value`, or the name in `ENV NAME value` / `LABEL name value`.
    private static func nameExpectingValue(_ words: [Range<Int>], _ index: Int, _ s: [Unicode.Scalar]) -> String? {
        let text = String(String.UnicodeScalarView(s[words[index]]))
        if text.hasPrefix("--") { return String(text.dropFirst(2)) }
        if index == 1, ["env", "label"].contains(String(String.UnicodeScalarView(s[words[0]])).lowercased()) { return text }
        return nil
    }

    private static func judge(name: String, _ s: [Unicode.Scalar], _ range: Range<Int>) -> SecretHit? {
        guard isSensitive(name), !isSwitch(name) else { return nil }
        var value = range
        // A quoted value ends at its closing quote: `key="a.b.c">/usr/bin/x</annotate>` is the value `a.b.c`.
        if let quote = s[value].first, quote == "\"" || quote == "'", let close = s[(value.lowerBound + 1)..<value.upperBound].firstIndex(of: quote),
           close < value.upperBound - 1, !s[(close + 1)..<value.upperBound].allSatisfy({ $0 == "\"" || $0 == "'" || $0 == ";" }) {
            value = value.lowerBound..<(close + 1)
        }
        while value.count >= 2, let first = s[value].first, first == "\"" || first == "'" { value = (value.lowerBound + 1)..<value.upperBound }
        while value.count >= 1, let last = s[value].last, last == "\"" || last == "'" || last == ";" { value = value.lowerBound..<(value.upperBound - 1) }
        guard SecretDetector.looksRandom(Array(s[value])), !isKeyFingerprint(s[value]) else { return nil }
        return SecretHit(kind: "value of \(name)", masked: "…", columns: (value.lowerBound + 1)...value.upperBound)
    }

    /// Whitespace-separated words as index ranges.
    private static func split(_ s: [Unicode.Scalar]) -> [Range<Int>] {
        var words: [Range<Int>] = []
        var start: Int?
        for (i, c) in s.enumerated() {
            if c == " " || c == "\t" || c == "\r" {
                if let b = start { words.append(b..<i); start = nil }
            } else if start == nil {
                start = i
            }
        }
        if let b = start { words.append(b..<s.count) }
        return words
    }
}

/// A cheap test that a line cannot hold anything ``SecretDetector/scan(line:)`` would report, so
/// callers scanning much text (every file of an image's layers) run the full scan only on lines
/// that could. Never rejects a line the full scan would flag: every detector needs one of these
/// needles (a token prefix, `PRIVATE KEY`, `://`, or a sensitive name fragment), compared
/// without regard to ASCII case.
enum SecretPrefilter {
    static let needles: [[UInt8]] = {
        var words = Set(TokenPatterns.patterns.flatMap(\.prefixes).map { $0.lowercased() })
        words.formUnion(AssignmentScanner.sensitiveFragments)
        words.formUnion(AssignmentScanner.sensitiveParts)
        words.formUnion(["private key", "://"])
        return words.map { Array($0.utf8) }
    }()

    /// Needles grouped by their first byte.
    static let byFirstByte: [[[UInt8]]] = {
        var table = Array(repeating: [[UInt8]](), count: 256)
        for needle in needles { table[Int(needle[0])].append(needle) }
        return table
    }()

    static func mayMatch(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = line.count
        var i = 0
        while i < count {
            let candidates = byFirstByte[Int(lower(line[i]))]
            if !candidates.isEmpty {
                for needle in candidates where i + needle.count <= count {
                    var j = 1
                    while j < needle.count, lower(line[i + j]) == needle[j] { j += 1 }
                    if j == needle.count { return true }
                }
            }
            i += 1
        }
        return false
    }

    @inline(__always) static func lower(_ b: UInt8) -> UInt8 { b >= 65 && b <= 90 ? b + 32 : b }
}

extension SecretDetector {
    /// Whether `line` (UTF-8 bytes) might hold a secret; false means ``scan(line:)`` finds nothing.
    public static func mayContainSecret(utf8 line: UnsafeBufferPointer<UInt8>) -> Bool {
        SecretPrefilter.mayMatch(line)
    }
}
