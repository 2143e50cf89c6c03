import Foundation
import ImageSpec
import ImageStore
import LayerArchive

/// Audits one image: reads each layer blob from the store once, entry by entry, and returns an
/// ``AuditReport``. Memory grows with the number of paths in the image (one small record each),
/// never with file or layer sizes. Throws ``AuditError`` when a layer is missing or unreadable;
/// it writes nothing.
public struct ImageAuditor: Sendable {
    public let store: ContentStore
    /// How many largest files and dive inefficiencies the report lists.
    public var listLimit = 10
    /// Files larger than this are not scanned for secrets (their names still are).
    public var maxScannedFileSize: Int64 = 32 << 20

    public init(store: ContentStore) {
        self.store = store
    }

    /// The image to audit.
    public struct Subject: Sendable {
        public var name: String
        public var manifestDigest: Digest?
        public var manifest: Manifest
        public var configDigest: Digest?
        public var config: ImageConfig
        /// How many leading layers are the base image's, when known.
        public var baseLayers: Int?

        public init(name: String, manifestDigest: Digest?, manifest: Manifest, configDigest: Digest?, config: ImageConfig, baseLayers: Int?) {
            self.name = name
            self.manifestDigest = manifestDigest
            self.manifest = manifest
            self.configDigest = configDigest
            self.config = config
            self.baseLayers = baseLayers
        }
    }

    public func audit(_ subject: Subject) throws -> AuditReport {
        var state = AuditState(subject: subject, limit: listLimit)
        for (index, descriptor) in subject.manifest.layers.enumerated() {
            try Task.checkCancellation()
            let url: URL
            do {
                url = try store.open(descriptor.digest)
            } catch {
                throw AuditError(.unreadableLayer, "layer \(index) (\(descriptor.digest)) is not in the store; pull the image again", cause: "\(error)")
            }
            do {
                var reader = try TarReader(detectingCompressionOf: url.path)
                state.beginLayer(index, descriptor: descriptor)
                while let header = try reader.next() {
                    try state.entry(header, reader: &reader, maxScanned: maxScannedFileSize)
                }
                state.endLayer()
            } catch let error as AuditError {
                throw error
            } catch {
                throw AuditError(.unreadableLayer, "cannot read layer \(index) (\(descriptor.digest))", cause: "\(error)")
            }
        }
        return state.report()
    }
}
