import BuildChecks

/// A secret found in text, with its value masked.
struct SecretMatch: Sendable {
    var kind: String
    var masked: String
    /// 1-based line number in the file (0 for a single line of config or history).
    var line: Int
}

/// Masks a secret value: its first and last two characters only, and only when it is long enough
/// that they do not give it away.
enum SecretMask {
    static func mask(_ value: String, fallback: String) -> String {
        let scalars = Array(value.unicodeScalars)
        guard scalars.count >= 12 else { return fallback.isEmpty || fallback == "…" ? "…" : fallback }
        return String(String.UnicodeScalarView(scalars.prefix(2))) + "…" + String(String.UnicodeScalarView(scalars.suffix(2)))
    }

    /// `text` with every secret `SecretDetector` finds in it replaced by its masked form, so
    /// history lines can be shown.
    static func redact(_ text: String) -> String {
        let hits = SecretDetector.scan(line: text)
        guard !hits.isEmpty else { return text }
        var scalars = Array(text.unicodeScalars)
        for hit in hits.reversed() {
            let lower = max(hit.columns.lowerBound - 1, 0), upper = min(hit.columns.upperBound, scalars.count)
            guard lower < upper else { continue }
            let value = String(String.UnicodeScalarView(scalars[lower..<upper]))
            let masked = hit.kind == "private key" ? hit.masked : mask(value, fallback: hit.masked)
            scalars.replaceSubrange(lower..<upper, with: Array(masked.unicodeScalars))
        }
        return String(String.UnicodeScalarView(scalars))
    }

    /// The hits of `SecretDetector` in one line, masked.
    static func scan(line text: String, number: Int) -> [SecretMatch] {
        let scalars = Array(text.unicodeScalars)
        return SecretDetector.scan(line: text).map { hit in
            let lower = max(hit.columns.lowerBound - 1, 0), upper = min(hit.columns.upperBound, scalars.count)
            let value = lower < upper ? String(String.UnicodeScalarView(scalars[lower..<upper])) : ""
            let masked = hit.kind == "private key" ? hit.masked : mask(value, fallback: hit.masked)
            return SecretMatch(kind: hit.kind, masked: masked, line: number)
        }
    }
}

/// Scans one file's content for secrets as its chunks stream past: text files only (a NUL byte in
/// the first chunk makes it binary), line by line, each line first through `SecretDetector`'s
/// cheap prefilter. Memory: one line (at most `maxLine` bytes; longer lines are cut).
struct ContentSecretScanner {
    static let maxLine = 64 * 1024
    static let maxMatchesPerFile = 20

    private var carry: [UInt8] = []
    private var lineNumber = 1
    private var first = true
    private(set) var isBinary = false
    private(set) var matches: [SecretMatch] = []

    /// Feeds the next chunk; false once the rest of the file need not be read.
    mutating func feed(_ chunk: [UInt8]) -> Bool {
        if first {
            first = false
            if chunk.prefix(8192).contains(0) { isBinary = true; return false }
        }
        var start = 0
        for i in chunk.indices where chunk[i] == 0x0A {
            if carry.isEmpty {
                scanLine(chunk[start..<i])
            } else {
                carry.append(contentsOf: chunk[start..<i])
                scanLine(carry[...])
                carry.removeAll(keepingCapacity: true)
            }
            start = i + 1
        }
        carry.append(contentsOf: chunk[start...])
        if carry.count > Self.maxLine {
            scanLine(carry[...])
            carry.removeAll(keepingCapacity: true)
        }
        return matches.count < Self.maxMatchesPerFile
    }

    mutating func finish() {
        if !carry.isEmpty, !isBinary { scanLine(carry[...]) }
        carry = []
    }

    private mutating func scanLine(_ line: ArraySlice<UInt8>) {
        defer { lineNumber += 1 }
        let maybe = line.withUnsafeBufferPointer { SecretDetector.mayContainSecret(utf8: $0) }
        guard maybe else { return }
        matches += SecretMask.scan(line: String(decoding: line, as: UTF8.self), number: lineNumber)
    }
}

/// Secret files recognised by name (`.env`, `.npmrc`, `id_rsa`, `.aws/credentials` …), the
/// `kiln check` rule set. Keys and certificates recognised only by suffix (`.pem`, `.key`) are left
/// to the content scan: images carry public certificates under those names.
enum SecretFileNames {
    static let contentDecides: Set<String> = ["PEM key or certificate", "private key"]

    static func kind(of path: String) -> String? {
        guard let kind = SecretFiles.kind(of: path), !contentDecides.contains(kind) else { return nil }
        return kind
    }
}
