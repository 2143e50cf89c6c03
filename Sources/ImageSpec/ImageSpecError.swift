import ErrorReporting

/// The one error type of the `ImageSpec` module.
///
/// `message` says what is wrong with the input in words a user can act on; `code` lets callers branch
/// without matching on text. Messages for image references follow Docker's wording
/// (`invalid reference format: repository name must be lowercase`) so users see what they know.
public struct ImageSpecError: ReportableError, Sendable, Equatable {
    /// What kind of value was rejected.
    public enum Code: String, Sendable, Equatable {
        case invalidDigest
        case unsupportedDigestAlgorithm
        case invalidMediaType
        case invalidPlatform
        case invalidReference
        case invalidTag
        case invalidTimestamp
        case invalidDocument
        case contentMismatch
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}

extension ImageSpecError {
    /// `text` in double quotes for a message, cut at 80 characters so a hostile input cannot flood a log.
    static func quote(_ text: String) -> String {
        let limit = 80
        let shown = text.count > limit ? String(text.prefix(limit)) + "…" : text
        return "\"\(shown)\""
    }

    /// The same error with the JSON location it was found at, e.g. `at config.digest: …`.
    func located(at codingPath: [CodingKey]) -> ImageSpecError {
        guard !codingPath.isEmpty else { return self }
        let path = codingPath.map { key in key.intValue.map { "[\($0)]" } ?? key.stringValue }
            .joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        return ImageSpecError(code, "at \(path): \(message)")
    }

    /// Runs `body`, adding the decoder's location to any ``ImageSpecError`` it throws.
    static func locating<T>(_ decoder: Decoder, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ImageSpecError {
            throw error.located(at: decoder.codingPath)
        }
    }
}
