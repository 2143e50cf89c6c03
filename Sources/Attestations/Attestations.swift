// Attestations: what `kiln build --sbom/--provenance` attaches to an image.
//
// Owns the in-toto statements (an SPDX SBOM, a SLSA v0.2 provenance of the build), the attestation
// manifests that carry them and the image index that holds them next to the image manifests, laid
// out as BuildKit's "attestation storage" describes: one attestation manifest per image manifest,
// after all of them, with platform unknown/unknown and the annotations
// `vnd.docker.reference.type=attestation-manifest` and `vnd.docker.reference.digest=<image manifest>`;
// each statement a layer of media type `application/vnd.in-toto+json` annotated with
// `in-toto.io/predicate-type`. Also reads attached statements back (for `kiln audit`).
// Index assembly is a pure function of the image manifest descriptors (one per platform), so it
// composes with multi-platform builds; writing the blobs to a store is a separate step.
import Foundation
import ImageSpec

/// Names BuildKit's attestation layout uses.
public enum AttestationLayout {
    public static let inTotoMediaType = "application/vnd.in-toto+json"
    public static let predicateTypeAnnotation = "in-toto.io/predicate-type"
    public static let referenceTypeAnnotation = "vnd.docker.reference.type"
    public static let referenceDigestAnnotation = "vnd.docker.reference.digest"
    public static let attestationManifestType = "attestation-manifest"
    public static let statementType = "https://in-toto.io/Statement/v0.1"
    public static let spdxPredicateType = "https://spdx.dev/Document"
    public static let slsaProvenanceV02 = "https://slsa.dev/provenance/v0.2"
    /// `application/vnd.in-toto+json` as a media type.
    public static let inTotoLayer = MediaType(inTotoMediaType)!
}

/// The one error type of the module: what went wrong and what to do next.
public struct AttestationError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable { case invalidRequest, invalidImage }
    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
