/// The distribution reference grammar and Docker's normalisation (`ParseNormalizedNamed`):
///
///     reference   := name [ ":" tag ] [ "@" digest ]
///     name        := [ domain "/" ] path
///     domain      := host [ ":" port ]      host: DNS labels joined by "." or "[" IPv6 "]"
///     path        := component ( "/" component )*
///     component   := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
///     tag         := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
///
/// The first path segment is a domain when it contains `.` or `:`, is `localhost`, or has an
/// uppercase letter (Docker's rule); otherwise the domain is `docker.io`. The whole name may be at
/// most 255 characters. A bare 64-hex string is refused, as it would be mistaken for an image ID.
extension ImageReference {
    struct Parts {
        var domain: String
        var repository: String
        var tag: String?
        var digest: Digest?
    }

    static let maximumNameLength = 255

    static func parse(_ string: String) throws -> Parts {
        guard !string.isEmpty else {
            throw invalid("repository name must have at least one component")
        }
        if string.utf8.count == 64, string.utf8.allSatisfy(Digest.isLowerHex) {
            throw ImageSpecError(.invalidReference, "invalid repository name (\(string)), cannot specify 64-byte hexadecimal strings")
        }
        var rest = Substring(string)
        var digest: Digest?
        if let at = rest.firstIndex(of: "@") {
            digest = try parseDigest(rest[rest.index(after: at)...])
            rest = rest[..<at]
        }
        var tag: String?
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            let candidate = String(rest[rest.index(after: colon)...])
            guard isValidTag(candidate) else { throw tagError(candidate, code: .invalidReference) }
            tag = candidate
            rest = rest[..<colon]
        }
        var (domain, path) = splitDomain(rest)
        if domain == "index.docker.io" { domain = dockerHubDomain }
        if domain == dockerHubDomain, !path.contains("/") { path = "library/" + path }

        if path.contains(where: { $0.isUppercase }) {
            throw invalid("repository name must be lowercase")
        }
        guard isValidDomain(domain) else {
            throw invalid("invalid registry domain \(ImageSpecError.quote(domain))")
        }
        guard !path.isEmpty else {
            throw invalid("repository name must have at least one component")
        }
        for component in path.split(separator: "/", omittingEmptySubsequences: false) where !isValidPathComponent(component) {
            throw invalid("invalid repository name component \(ImageSpecError.quote(String(component))) in \(ImageSpecError.quote(string))")
        }
        guard domain.utf8.count + 1 + path.utf8.count <= maximumNameLength else {
            throw invalid("repository name must not be more than \(maximumNameLength) characters")
        }
        return Parts(domain: domain, repository: path, tag: tag, digest: digest)
    }

    /// Whether `tag` matches the tag grammar `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
    public static func isValidTag(_ tag: String) -> Bool {
        let bytes = Array(tag.utf8)
        guard let first = bytes.first, bytes.count <= 128, isWordByte(first) else { return false }
        return bytes.allSatisfy { isWordByte($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    static func tagError(_ tag: String, code: ImageSpecError.Code = .invalidTag) -> ImageSpecError {
        let prefix = code == .invalidReference ? "invalid reference format: " : ""
        return ImageSpecError(code, "\(prefix)invalid tag \(ImageSpecError.quote(tag)): a tag is 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'")
    }

    // MARK: - Pieces

    private static func invalid(_ detail: String) -> ImageSpecError {
        ImageSpecError(.invalidReference, "invalid reference format: \(detail)")
    }

    /// Docker's `splitDockerDomain`, before `docker.io` normalisation.
    private static func splitDomain(_ name: Substring) -> (String, String) {
        guard let slash = name.firstIndex(of: "/") else { return (dockerHubDomain, String(name)) }
        let first = name[..<slash]
        guard looksLikeDomain(first) else { return (dockerHubDomain, String(name)) }
        return (String(first), String(name[name.index(after: slash)...]))
    }

    /// Docker's rule for whether a reference's first segment names a registry.
    static func looksLikeDomain(_ segment: Substring) -> Bool {
        segment.contains(".") || segment.contains(":") || segment == "localhost" || segment.contains(where: { $0.isUppercase })
    }

    private static func parseDigest(_ text: Substring) throws -> Digest {
        // The grammar's digest: algorithm ":" at least 32 hex; anything else is a format error.
        guard let colon = text.firstIndex(of: ":"),
              Digest.isAlgorithmName(String(text[..<colon])),
              text[text.index(after: colon)...].utf8.count >= 32,
              text[text.index(after: colon)...].utf8.allSatisfy({ Digest.isLowerHex($0) || Digest.isUpperHex($0) })
        else {
            throw invalid("invalid digest \(ImageSpecError.quote(String(text)))")
        }
        do {
            return try Digest(parsing: String(text))
        } catch let error as ImageSpecError {
            throw invalid(error.message)
        }
    }

    private static func isValidDomain(_ domain: String) -> Bool {
        var host = Substring(domain)
        var port: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            let address = host[host.index(after: host.startIndex)..<close]
            guard !address.isEmpty, address.utf8.allSatisfy({ Digest.isLowerHex($0) || Digest.isUpperHex($0) || $0 == UInt8(ascii: ":") }) else { return false }
            let after = host[host.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return false }
                port = after.dropFirst()
            }
            host = ""
        } else if let colon = host.firstIndex(of: ":") {
            port = host[host.index(after: colon)...]
            host = host[..<colon]
            guard !host.isEmpty else { return false }
        }
        if let port, port.isEmpty || !port.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { return false }
        if host.isEmpty { return domain.hasPrefix("[") }
        return host.split(separator: ".", omittingEmptySubsequences: false).allSatisfy(isValidDomainLabel)
    }

    private static func isValidDomainLabel(_ label: Substring) -> Bool {
        let bytes = Array(label.utf8)
        guard let first = bytes.first, let last = bytes.last, isAlphaNumeric(first), isAlphaNumeric(last) else { return false }
        return bytes.allSatisfy { isAlphaNumeric($0) || $0 == UInt8(ascii: "-") }
    }

    /// `[a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*`
    private static func isValidPathComponent(_ component: Substring) -> Bool {
        let bytes = Array(component.utf8)
        var index = 0
        func alnumRun() -> Bool {
            let start = index
            while index < bytes.count, isLowerAlphaNumeric(bytes[index]) { index += 1 }
            return index > start
        }
        guard alnumRun() else { return false }
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "."):
                index += 1
            case UInt8(ascii: "_"):
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "_") { index += 1 }
            case UInt8(ascii: "-"):
                while index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
            default:
                return false
            }
            guard alnumRun() else { return false }
        }
        return true
    }

    private static func isLowerAlphaNumeric(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x7A)
    }

    private static func isAlphaNumeric(_ byte: UInt8) -> Bool {
        isLowerAlphaNumeric(byte) || (byte >= 0x41 && byte <= 0x5A)
    }

    private static func isWordByte(_ byte: UInt8) -> Bool {
        isAlphaNumeric(byte) || byte == UInt8(ascii: "_")
    }
}
