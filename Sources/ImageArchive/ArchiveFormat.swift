import ImageSpec

/// The archive formats kiln reads and writes.
public enum ArchiveFormat: String, Sendable, CaseIterable {
    /// What Docker 20.10 `docker save` writes: `manifest.json`, `repositories`, `<config>.json`
    /// and one `<v1id>/{VERSION,json,layer.tar}` folder per layer (uncompressed).
    case docker
    /// An OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/…`) in a tar.
    case oci
}

/// One image in an archive: the manifest (or index) it is, and the names it carries.
public struct ArchiveImage: Sendable, Hashable {
    /// The manifest or index descriptor, as stored in kiln's content store.
    public var manifestDescriptor: Descriptor
    /// The names the image has (in the archive, or to be written to it). May be empty.
    public var references: [ImageReference]

    public init(manifestDescriptor: Descriptor, references: [ImageReference]) {
        self.manifestDescriptor = manifestDescriptor
        self.references = references
    }
}
