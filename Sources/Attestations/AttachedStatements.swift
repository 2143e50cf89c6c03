import Foundation
import ImageSpec
import ImageStore

extension AssembledIndex {
    /// Writes the new blobs, then the index, into `store` (each verified and atomic; the index last,
    /// so it never points at a missing blob). Returns the index descriptor. Tags nothing.
    /// Throws `StoreError`.
    @discardableResult
    public func write(to store: ContentStore) throws -> Descriptor {
        for blob in blobs { try store.put(bytes: blob.bytes, mediaType: blob.descriptor.mediaType) }
        return try store.put(bytes: indexBytes, mediaType: descriptor.mediaType)
    }
}

/// An attestation attached to an image manifest in an index, read back from a store.
public struct AttachedStatement: Sendable {
    /// The attestation manifest that holds it.
    public var attestationManifest: Digest
    /// The statement layer.
    public var layer: Descriptor
    public var predicateType: String
    public var statement: InTotoStatement
}

public enum AttachedStatements {
    /// The statements attached, in `index` (a stored index), to the image manifest `image`:
    /// every layer of every attestation manifest whose `vnd.docker.reference.digest` names it.
    /// Layers of other media types are skipped, as the layout says. Empty when `index` is a
    /// manifest or has none. Throws `StoreError` for a missing blob, ``AttestationError``
    /// (`invalidImage`) for a statement that is not an in-toto statement.
    public static func find(for image: Digest, in index: Descriptor, store: ContentStore) throws -> [AttachedStatement] {
        guard index.mediaType.isIndex else { return [] }
        let decoded = try CanonicalJSON.decode(Index.self, from: store.read(verifying: index))
        var result: [AttachedStatement] = []
        for entry in decoded.manifests
        where entry.annotations?[AttestationLayout.referenceTypeAnnotation] == AttestationLayout.attestationManifestType
            && entry.annotations?[AttestationLayout.referenceDigestAnnotation] == image.description
            && store.contains(entry.digest) {
            let manifest = try CanonicalJSON.decode(Manifest.self, from: store.read(verifying: entry))
            for layer in manifest.layers where layer.mediaType == AttestationLayout.inTotoLayer {
                let statement: InTotoStatement
                do {
                    statement = try JSONDecoder().decode(InTotoStatement.self, from: store.read(verifying: layer))
                } catch let error as DecodingError {
                    throw AttestationError(.invalidImage, "attestation \(layer.digest) is not an in-toto statement: \(error)")
                }
                result.append(AttachedStatement(
                    attestationManifest: entry.digest, layer: layer,
                    predicateType: layer.annotations?[AttestationLayout.predicateTypeAnnotation] ?? statement.predicateType,
                    statement: statement))
            }
        }
        return result
    }
}
