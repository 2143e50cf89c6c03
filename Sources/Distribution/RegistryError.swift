import ErrorReporting
import Foundation

/// The one error type of the `Distribution` module.
///
/// `message` says what went wrong and what to do next; `statusCode` is the HTTP status when the
/// registry answered; `details` holds the registry's `errors[]` entries (`code`/`message`) from its
/// error body, decoded when present.
public struct RegistryError: ReportableError, Sendable, Equatable {
    /// What kind of failure this was, for callers that branch.
    public enum Kind: String, Sendable, Equatable {
        /// 401/403 even after authenticating, or credentials were needed and none were found.
        case unauthorized
        /// 404: the repository, manifest or blob does not exist.
        case notFound
        /// Bytes did not match the digest (or size) they were requested by.
        case digestMismatch
        /// The registry answered in a way the distribution spec does not allow.
        case protocolViolation
        /// Any other unexpected HTTP status (after retries, for 5xx).
        case unexpectedStatus
        /// The connection failed (after retries).
        case transport
        /// Local configuration (docker config, credential helper, CA file) could not be used.
        case configuration
    }

    /// One entry of the registry's error body: `{"errors":[{"code":"…","message":"…"}]}`.
    public struct Detail: Sendable, Equatable, Decodable {
        public var code: String
        public var message: String?

        public init(code: String, message: String?) {
            self.code = code
            self.message = message
        }
    }

    public var kind: Kind
    public var message: String
    public var statusCode: Int?
    public var details: [Detail]

    public init(_ kind: Kind, _ message: String, statusCode: Int? = nil, details: [Detail] = []) {
        self.kind = kind
        self.message = message
        self.statusCode = statusCode
        self.details = details
    }

    /// The registry's own words (its `errors[]`), after the message.
    public var cause: String? {
        details.isEmpty ? nil : "registry says: " + details.map { d in d.message.map { "\(d.code): \($0)" } ?? d.code }.joined(separator: "; ")
    }
    public static var causeStyle: CauseStyle { .inParentheses }

    /// Decodes a registry error body; empty when the body is not the spec's JSON shape.
    static func decodeDetails(_ body: Data) -> [Detail] {
        struct Envelope: Decodable { var errors: [Detail] }
        return (try? JSONDecoder().decode(Envelope.self, from: body))?.errors ?? []
    }

    /// The error for an unexpected HTTP response, with advice chosen by status.
    static func status(_ code: Int, body: Data, doing what: String) -> RegistryError {
        let details = decodeDetails(body)
        switch code {
        case 401, 403:
            return RegistryError(.unauthorized, "\(what): access denied (HTTP \(code)); log in with `docker login` or check the repository name and your permissions", statusCode: code, details: details)
        case 404:
            return RegistryError(.notFound, "\(what): not found (HTTP 404); check the repository name, tag or digest", statusCode: code, details: details)
        case 500...599:
            return RegistryError(.unexpectedStatus, "\(what): the registry failed (HTTP \(code)) after retries; try again later", statusCode: code, details: details)
        default:
            return RegistryError(.unexpectedStatus, "\(what): unexpected HTTP \(code)", statusCode: code, details: details)
        }
    }
}
