import Foundation
import ImageSpec

/// An image present in the local store: a manifest whose config (and, for a complete image,
/// layers) are stored, with the references that point at it.
public struct LocalImage: Sendable {
    /// The tags (or digest references) pointing at this image; may be empty.
    public var references: [ImageReference]
    /// The image manifest, as stored (media type, digest, size).
    public var manifestDescriptor: Descriptor
    public var manifest: Manifest
    public var configDescriptor: Descriptor
    public var config: ImageConfig
    /// The digests the image was known by in registries (`name@sha256:…`, Docker's RepoDigests):
    /// the index or manifest digest each pull resolved.
    public var repoDigests: [ImageReference]

    public init(references: [ImageReference], manifestDescriptor: Descriptor, manifest: Manifest,
                configDescriptor: Descriptor, config: ImageConfig, repoDigests: [ImageReference] = []) {
        self.references = references
        self.manifestDescriptor = manifestDescriptor
        self.manifest = manifest
        self.configDescriptor = configDescriptor
        self.config = config
        self.repoDigests = repoDigests
    }

    /// Docker's image ID: the config digest.
    public var id: Digest { configDescriptor.digest }

    /// The layer descriptors that carry content (the manifest's layers, in order, base first).
    public var layers: [Descriptor] { manifest.layers }

    /// The layers' uncompressed digests (the config's diffIDs), base first.
    public var diffIDs: [Digest] { config.rootfs.diffIDs }

    /// The `sha256:` form Docker shows with `--no-trunc`, or 12 hex characters otherwise.
    public func shortID(truncated: Bool = true) -> String {
        truncated ? String(id.hex.prefix(12)) : id.description
    }
}

extension ImageReference {
    /// Docker's `RepoTags` / `RepoDigests` form: familiar, `busybox:latest`.
    public var display: String { familiar }
}
