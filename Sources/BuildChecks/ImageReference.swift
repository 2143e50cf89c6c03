/// A container image reference split into its parts (`registry:5000/team/app:1.2@sha256:…`),
/// following the grammar of the distribution reference format. No normalisation.
struct ImageReference: Sendable, Hashable {
    /// Domain and path, e.g. `docker.io/library/alpine` or `alpine`.
    var name: String
    var tag: String?
    var digest: String?

    /// Parses `text`; nil when it is not a valid reference (empty, upper-case repository, bad tag…).
    init?(_ text: String) {
        var rest = Substring(text)
        if let at = rest.firstIndex(of: "@") {
            let digest = rest[rest.index(after: at)...]
            guard Self.isDigest(digest) else { return nil }
            self.digest = String(digest)
            rest = rest[..<at]
        }
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            let tag = rest[rest.index(after: colon)...]
            guard Self.isTag(tag) else { return nil }
            self.tag = String(tag)
            rest = rest[..<colon]
        }
        guard Self.isName(rest) else { return nil }
        name = String(rest)
    }

    private static func isName(_ s: Substring) -> Bool {
        var parts = s.split(separator: "/", omittingEmptySubsequences: false)
        guard !parts.isEmpty, !s.isEmpty else { return false }
        if parts.count > 1, parts[0].contains(where: { $0 == "." || $0 == ":" }) || parts[0] == "localhost" {
            guard isDomain(parts.removeFirst()) else { return false }
        }
        return parts.allSatisfy(isPathComponent)
    }

    private static func isDomain(_ s: Substring) -> Bool {
        let pieces = s.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let host = pieces[0]
        guard !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }) else { return false }
        if pieces.count == 2 { return !pieces[1].isEmpty && pieces[1].allSatisfy { $0.isASCII && $0.isNumber } }
        return true
    }

    /// `[a-z0-9]+` runs joined by `.`, `_`, `__` or any number of `-`.
    private static func isPathComponent(_ s: Substring) -> Bool {
        guard let first = s.first, let last = s.last, isLowerAlnum(first), isLowerAlnum(last) else { return false }
        var separator = ""
        for c in s {
            if isLowerAlnum(c) {
                guard ["", ".", "_", "__"].contains(separator) || separator.allSatisfy({ $0 == "-" }) else { return false }
                separator = ""
            } else if c == "." || c == "_" || c == "-" {
                separator.append(c)
            } else {
                return false
            }
        }
        return true
    }

    private static func isLowerAlnum(_ c: Character) -> Bool {
        c.isASCII && (c.isLowercase || c.isNumber)
    }

    private static func isTag(_ s: Substring) -> Bool {
        guard let first = s.first, s.count <= 128, isWord(first) else { return false }
        return s.allSatisfy { isWord($0) || $0 == "." || $0 == "-" }
    }

    private static func isWord(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "_")
    }

    private static func isDigest(_ s: Substring) -> Bool {
        guard let colon = s.firstIndex(of: ":") else { return false }
        let algorithm = s[..<colon], hex = s[s.index(after: colon)...]
        return !algorithm.isEmpty && algorithm.first!.isLetter
            && algorithm.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "+.-_".contains($0)) }
            && hex.count >= 32 && hex.allSatisfy(\.isHexDigit)
    }
}
