import ErrorReporting
import Foundation

/// The one error type of the `Images` module. `message` is what the user sees (Docker's wording
/// where Docker has one) and says what to do next.
public struct ImagesError: ReportableError, Sendable, Equatable {
    public enum Code: String, Sendable, Equatable {
        /// No local image matches the name or ID.
        case noSuchImage
        /// An ID prefix matches several images.
        case ambiguous
        /// The registry's image cannot be used (schema 1, no matching platform, inconsistent documents).
        case unsupportedImage
        /// A blob the image needs is missing from the store.
        case incomplete
        /// An rmi that would need `--force`.
        case conflict
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    static func noSuchImage(_ name: String) -> ImagesError {
        ImagesError(.noSuchImage, "No such image: \(name)")
    }
}
