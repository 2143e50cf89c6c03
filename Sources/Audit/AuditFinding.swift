import Foundation

/// What a finding is about.
public enum AuditCategory: String, Sendable, Codable, CaseIterable {
    case secret, waste, leftover, risk
}

/// One thing `kiln audit` reports. Secret values are never held whole: only a masked stand-in
/// (first and last characters) is kept.
public struct AuditFinding: Sendable, Codable, Hashable {
    /// A stable rule identifier, e.g. `SecretInLayerFile`, `WastedSpace`, `RootUser`.
    public var rule: String
    public var category: AuditCategory
    public var severity: AuditSeverity
    public var message: String
    /// The layer (0-based, in manifest order) the finding is in, if it is in one.
    public var layer: Int?
    /// The path in the image's filesystem (absolute), if the finding is about a file.
    public var path: String?
    /// The history `created_by` of the layer or config change responsible.
    public var instruction: String?
    /// True when the file is not visible in the final filesystem (a later layer deleted or
    /// overwrote it) but its bytes are still in a layer anyone with the image can download.
    public var hiddenInFinalImage: Bool?
    /// The layer that deleted or overwrote the file.
    public var hiddenByLayer: Int?
    /// Bytes concerned (wasted space, leftovers).
    public var bytes: Int64?
    /// The masked value of a secret.
    public var masked: String?
    /// The history entry index (0-based) for findings in history lines.
    public var historyIndex: Int?

    public init(rule: String, category: AuditCategory, severity: AuditSeverity, message: String, layer: Int? = nil, path: String? = nil,
                instruction: String? = nil, hiddenInFinalImage: Bool? = nil, hiddenByLayer: Int? = nil, bytes: Int64? = nil,
                masked: String? = nil, historyIndex: Int? = nil) {
        self.rule = rule
        self.category = category
        self.severity = severity
        self.message = message
        self.layer = layer
        self.path = path
        self.instruction = instruction
        self.hiddenInFinalImage = hiddenInFinalImage
        self.hiddenByLayer = hiddenByLayer
        self.bytes = bytes
        self.masked = masked
        self.historyIndex = historyIndex
    }
}

/// One layer as the audit saw it.
public struct LayerSummary: Sendable, Codable, Hashable {
    public var index: Int
    public var digest: String
    /// The compressed blob size.
    public var blobSize: Int64
    /// The sum of the entries' sizes (dive's layer size).
    public var contentSize: Int64
    public var entries: Int
    public var instruction: String?
    /// Whether the layer belongs to the base image (nil: not known).
    public var fromBase: Bool?
    /// Bytes this layer wrote that later layers delete or overwrite.
    public var hiddenBytes: Int64
}

/// A file and its size, for the largest-files list and wasted-space details.
public struct FileSize: Sendable, Codable, Hashable {
    public var path: String
    public var size: Int64
    public var layer: Int

    public init(path: String, size: Int64, layer: Int) {
        self.path = path
        self.size = size
        self.layer = layer
    }
}

/// Wasted space: dive's efficiency score and wasted bytes, plus the bytes that are really hidden.
public struct WasteSummary: Sendable, Codable, Hashable {
    /// dive's score: sum over paths of the smallest size seen / sum of all sizes seen (1 when nothing was seen).
    public var efficiency: Double
    /// dive's wasted bytes: the summed sizes of every version of every path seen in two or more layers.
    public var wastedBytes: Int64
    /// dive's user size: the content size of all layers but the first.
    public var userSizeBytes: Int64
    /// dive's `wastedBytes / userSizeBytes` (0 when there is no user size).
    public var wastedUserPercent: Double
    /// Bytes of file versions that are not the final visible one (deleted or overwritten later).
    public var hiddenBytes: Int64
    /// dive's inefficient paths, largest first: path, how many layers, summed size.
    public var inefficiencies: [PathWaste]
}

public struct PathWaste: Sendable, Codable, Hashable {
    public var path: String
    public var count: Int
    public var cumulativeSize: Int64
}

/// Everything `kiln audit` found in one image.
public struct AuditReport: Sendable, Codable {
    public var image: String
    public var manifestDigest: String?
    public var configDigest: String?
    public var platform: String
    /// How many leading layers are the base image's (nil: not known, so setuid files are reported in every layer).
    public var baseLayers: Int?
    public var layers: [LayerSummary]
    public var findings: [AuditFinding]
    public var waste: WasteSummary
    public var largestFiles: [FileSize]
    public var packages: [Package]
    /// The attestations attached to the image in its index (`kiln build --sbom/--provenance`);
    /// nil when the image is not in an index with attestations.
    public var attestations: [AttachedAttestation]? = nil

    /// The findings at or above `severity`.
    public func findings(atLeast severity: AuditSeverity) -> [AuditFinding] {
        findings.filter { $0.severity >= severity }
    }

    /// The report as pretty JSON (keys sorted).
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}

/// An in-toto statement attached to the audited image (BuildKit's attestation layout), summarised.
public struct AttachedAttestation: Sendable, Codable, Hashable {
    public var predicateType: String
    /// The statement's layer digest.
    public var digest: String
    /// For an SPDX or CycloneDX SBOM: how many packages it lists (the image itself not counted).
    public var packages: Int?

    public init(predicateType: String, digest: String, packages: Int?) {
        self.predicateType = predicateType
        self.digest = digest
        self.packages = packages
    }
}
