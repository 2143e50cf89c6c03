/// Which attestations a build attaches: `--sbom`, `--provenance` and `--attest`, as buildx spells them.
///
/// - `--sbom=true|false`, `--attest type=sbom[,disabled=true]`
/// - `--provenance=true|false|mode=min|mode=max`, `--attest type=provenance[,mode=min|max][,disabled=true]`
///
/// kiln generates the SBOM itself (the `Audit` module's package databases); a `generator=IMAGE`
/// (BuildKit's scanner image) is refused with a clear error rather than ignored.
public struct AttestationRequest: Sendable, Hashable {
    public enum ProvenanceMode: String, Sendable, Hashable { case min, max }

    public var sbom = false
    /// Nil: no provenance.
    public var provenance: ProvenanceMode?

    public init(sbom: Bool = false, provenance: ProvenanceMode? = nil) {
        self.sbom = sbom
        self.provenance = provenance
    }

    /// Whether anything is attached (the build's output is then an index).
    public var isEmpty: Bool { !sbom && provenance == nil }

    /// Reads the flags; later flags override earlier ones, `--attest` after the shorthands.
    /// Throws ``AttestationError`` (`invalidRequest`) naming the bad value and the valid ones.
    public init(sbom: String?, provenance: String?, attest: [String]) throws {
        if let sbom { self.sbom = try Self.bool(sbom, flag: "--sbom") }
        if let provenance { self.provenance = try Self.provenanceValue(provenance) }
        for text in attest { try apply(attest: text) }
    }

    private mutating func apply(attest text: String) throws {
        var fields: [String: String] = [:]
        for part in text.split(separator: ",", omittingEmptySubsequences: true) {
            let pair = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else {
                throw AttestationError(.invalidRequest, "--attest \(text): \"\(part)\" is not key=value (e.g. type=sbom or type=provenance,mode=max)")
            }
            fields[pair[0].lowercased()] = String(pair[1])
        }
        let disabled = try fields["disabled"].map { try Self.bool($0, flag: "--attest disabled") } ?? false
        switch fields["type"] {
        case "sbom":
            if let generator = fields["generator"] {
                throw AttestationError(.invalidRequest, "--attest \(text): kiln makes the SBOM itself; a generator image (\(generator)) is not supported")
            }
            try Self.onlyKeys(fields, ["type", "disabled", "generator"], text)
            sbom = !disabled
        case "provenance":
            try Self.onlyKeys(fields, ["type", "disabled", "mode"], text)
            if disabled {
                provenance = nil
            } else {
                provenance = try fields["mode"].map { try Self.mode($0, context: "--attest \(text)") } ?? .min
            }
        case let other:
            throw AttestationError(.invalidRequest, "--attest \(text): unknown attestation type \(other.map { "\"\($0)\"" } ?? "(missing type=)"); use type=sbom or type=provenance")
        }
    }

    private static func onlyKeys(_ fields: [String: String], _ known: Set<String>, _ text: String) throws {
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw AttestationError(.invalidRequest, "--attest \(text): unknown key \"\(unknown)\" (known: \(known.sorted().joined(separator: ", ")))")
        }
    }

    static func bool(_ text: String, flag: String) throws -> Bool {
        switch text.lowercased() {
        case "true", "1": return true
        case "false", "0": return false
        default: throw AttestationError(.invalidRequest, "\(flag)=\(text): expected true or false")
        }
    }

    static func provenanceValue(_ text: String) throws -> ProvenanceMode? {
        let lower = text.lowercased()
        if lower == "true" || lower == "1" { return .min }
        if lower == "false" || lower == "0" { return nil }
        var mode: ProvenanceMode = .min
        for part in lower.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else {
                throw AttestationError(.invalidRequest, "--provenance=\(text): expected true, false, mode=min or mode=max")
            }
            switch pair[0] {
            case "mode": mode = try Self.mode(pair[1], context: "--provenance=\(text)")
            case "disabled": if try bool(pair[1], flag: "--provenance disabled") { return nil }
            default: throw AttestationError(.invalidRequest, "--provenance=\(text): unknown key \"\(pair[0])\" (known: mode, disabled)")
            }
        }
        return mode
    }

    static func mode(_ text: String, context: String) throws -> ProvenanceMode {
        guard let mode = ProvenanceMode(rawValue: text.lowercased()) else {
            throw AttestationError(.invalidRequest, "\(context): unknown provenance mode \"\(text)\"; use min or max")
        }
        return mode
    }
}
