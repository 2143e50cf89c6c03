import Foundation
import ImageSpec

/// One statement to attach to an image manifest: its bytes and its predicate type.
public struct AttestationLayer: Sendable, Hashable {
    public var predicateType: String
    public var statement: Data

    public init(predicateType: String, statement: Data) {
        self.predicateType = predicateType
        self.statement = statement
    }

    public init(_ statement: InTotoStatement) throws {
        self.init(predicateType: statement.predicateType, statement: try statement.encoded())
    }
}

/// An image index with attestation manifests, and every new blob it needs (the statements, the
/// attestation configs and manifests, the index itself), to be written to a store.
public struct AssembledIndex: Sendable {
    public var index: Index
    /// The index's own descriptor (digest and size of ``indexBytes``).
    public var descriptor: Descriptor
    public var indexBytes: Data
    /// New blobs by descriptor (not the image manifests, which are already stored).
    public var blobs: [(descriptor: Descriptor, bytes: Data)]
}

/// Builds BuildKit's attestation layout. Pure: computes documents, writes nothing.
public enum AttestationIndex {
    /// An OCI index listing `images` (image manifest descriptors, one per platform, each with its
    /// `platform`) in order, then one attestation manifest for each image that has statements in
    /// `attestations` (keyed by the image manifest's digest), in the same order.
    ///
    /// Each attestation manifest is an OCI manifest whose config is an image config for
    /// `unknown/unknown` listing the statements as diff IDs, and whose layers are the statements
    /// (`application/vnd.in-toto+json`, annotated `in-toto.io/predicate-type`). Its index entry has
    /// platform `unknown/unknown` and the annotations `vnd.docker.reference.type=attestation-manifest`
    /// and `vnd.docker.reference.digest=<image manifest digest>`, so runtimes never pick it.
    /// Throws ``AttestationError`` (`invalidImage`) when an image descriptor is not an image manifest
    /// or has no platform, or when statements name a manifest not in `images`.
    public static func assemble(images: [Descriptor], attestations: [Digest: [AttestationLayer]],
                                annotations: [String: String]? = nil) throws -> AssembledIndex {
        for image in images {
            guard image.mediaType.isManifest else {
                throw AttestationError(.invalidImage, "\(image.digest) is a \(image.mediaType), not an image manifest; an index lists image manifests")
            }
            guard image.platform != nil else {
                throw AttestationError(.invalidImage, "image manifest \(image.digest) has no platform; an index entry needs one")
            }
        }
        if let stray = attestations.keys.first(where: { key in !images.contains { $0.digest == key } }) {
            throw AttestationError(.invalidImage, "statements for \(stray), which is not one of the index's image manifests")
        }
        var blobs: [(descriptor: Descriptor, bytes: Data)] = []
        var entries = images
        for image in images {
            guard let layers = attestations[image.digest], !layers.isEmpty else { continue }
            let (manifestDescriptor, manifestBlobs) = try attestationManifest(for: image.digest, layers: layers)
            blobs += manifestBlobs
            entries.append(manifestDescriptor)
        }
        let index = Index(mediaType: .ociIndex, manifests: entries, annotations: annotations)
        let bytes = try CanonicalJSON.encode(index)
        return AssembledIndex(index: index, descriptor: Descriptor(mediaType: .ociIndex, content: bytes), indexBytes: bytes, blobs: blobs)
    }

    /// Platform of attestation manifest entries: never runnable.
    public static let unknownPlatform = try! Platform(os: "unknown", architecture: "unknown")

    static func attestationManifest(for image: Digest, layers: [AttestationLayer]) throws -> (Descriptor, [(descriptor: Descriptor, bytes: Data)]) {
        var blobs: [(descriptor: Descriptor, bytes: Data)] = []
        var layerDescriptors: [Descriptor] = []
        for layer in layers {
            var descriptor = Descriptor(mediaType: AttestationLayout.inTotoLayer, content: layer.statement)
            blobs.append((descriptor, layer.statement))
            descriptor.annotations = [AttestationLayout.predicateTypeAnnotation: layer.predicateType]
            layerDescriptors.append(descriptor)
        }
        let config = AttestationConfig(diffIDs: layerDescriptors.map(\.digest.description))
        let configBytes = try CanonicalJSON.encode(config)
        let configDescriptor = Descriptor(mediaType: .ociConfig, content: configBytes)
        blobs.append((configDescriptor, configBytes))
        let manifest = Manifest(mediaType: .ociManifest, config: configDescriptor, layers: layerDescriptors)
        let manifestBytes = try CanonicalJSON.encode(manifest)
        var entry = Descriptor(mediaType: .ociManifest, content: manifestBytes)
        blobs.append((entry, manifestBytes))
        entry.platform = unknownPlatform
        entry.annotations = [
            AttestationLayout.referenceTypeAnnotation: AttestationLayout.attestationManifestType,
            AttestationLayout.referenceDigestAnnotation: image.description,
        ]
        return (entry, blobs)
    }
}

/// The config of an attestation manifest: a valid image config for `unknown/unknown` whose diff
/// IDs are the statements (readers ignore it; it is there for registries and tools that expect one).
struct AttestationConfig: Encodable {
    struct RootFS: Encodable {
        var type = "layers"
        var diff_ids: [String]
    }

    var architecture = "unknown"
    var os = "unknown"
    var config: [String: String] = [:]
    var rootfs: RootFS

    init(diffIDs: [String]) {
        rootfs = RootFS(diff_ids: diffIDs)
    }
}
