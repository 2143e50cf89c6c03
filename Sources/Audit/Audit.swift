// Audit: what is really inside an image.
//
// Owns reading an image's layers once each, streaming (tar entry by entry, never a whole layer in
// memory), and turning what it sees into findings — secrets in every file of every layer (also the
// ones later layers delete or overwrite), in ENV/LABEL values and in history lines; wasted space as
// dive computes it; package-manager leftovers; the largest files; risky settings — and into a
// software bill of materials (SPDX 2.3 and CycloneDX 1.5 JSON) and the in-toto statements BuildKit
// attaches to images. Secret detection is `BuildChecks`' rule set, the one `kiln check` uses.
// It reads blobs from a `ContentStore` and never writes to the store.
import Foundation

/// How serious a finding is. Ordered: `info` < `low` < `medium` < `high` < `critical`.
public enum AuditSeverity: String, Sendable, Codable, CaseIterable, Comparable {
    case info, low, medium, high, critical

    private var rank: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (a: AuditSeverity, b: AuditSeverity) -> Bool { a.rank < b.rank }
}

/// The one error type of the module: what went wrong, and what to do next.
public struct AuditError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable { case unreadableLayer, invalidImage }
    public var code: Code
    public var message: String
    public var cause: String?

    public init(_ code: Code, _ message: String, cause: String? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { cause.map { "\(message): \($0)" } ?? message }
}
