import Attestations
import Audit
import Foundation
import ImageSpec
import ImageStore

/// What `kiln audit` says about the attestations attached to the audited image in its index.
enum AuditAttestations {
    /// The statements attached to `manifest` in `top` (nil when `top` is not an index with any).
    static func summaries(for manifest: Digest, in top: Descriptor?, store: ContentStore) throws -> [AttachedAttestation]? {
        guard let top, top.mediaType.isIndex else { return nil }
        let found = try AttachedStatements.find(for: manifest, in: top, store: store)
        guard !found.isEmpty else { return nil }
        return found.map { AttachedAttestation(predicateType: $0.predicateType, digest: $0.layer.digest.description, packages: packageCount($0.statement.predicate)) }
    }

    /// Packages listed by an SPDX document (the image's own CONTAINER package not counted) or a
    /// CycloneDX one (its components); nil for other predicates.
    static func packageCount(_ predicate: JSONValue) -> Int? {
        guard case .object(let document) = predicate else { return nil }
        if case .array(let packages)? = document["packages"], document["spdxVersion"] != nil {
            return packages.filter { package in
                guard case .object(let fields) = package else { return true }
                return fields["primaryPackagePurpose"] != .string("CONTAINER")
            }.count
        }
        if case .array(let components)? = document["components"], document["bomFormat"] != nil { return components.count }
        return nil
    }

    /// Table lines: one per attestation.
    static func lines(_ attestations: [AttachedAttestation]?) -> [String] {
        (attestations ?? []).map { attestation in
            switch attestation.predicateType {
            case AttestationLayout.spdxPredicateType: return "Attached SBOM (SPDX): \(attestation.packages ?? 0) packages (\(attestation.digest))"
            case AttestationLayout.slsaProvenanceV02: return "Attached provenance (SLSA v0.2) (\(attestation.digest))"
            default: return "Attached attestation \(attestation.predicateType) (\(attestation.digest))"
            }
        }
    }
}
