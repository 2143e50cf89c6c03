import Builder
import Foundation
import ImageArchive
import ImageSpec
import ImageStore
import Images
import LayerArchive
import LayerVariants

/// `type=docker`/`type=oci` outputs (an image archive) and `type=local` (the final filesystem).
enum ImageOutput {
    /// `top`: the image manifest, or an index (written whole to an OCI archive).
    static func write(_ top: Descriptor, kind: BuildOutputSpec.Kind, service: ImageService,
                      tags: [ImageReference], to dest: String, compression: ExportCompression) async throws {
        let image = ArchiveImage(manifestDescriptor: top, references: tags)
        try await ImageExporter(store: service.store).export([image], format: kind == .oci ? .oci : .docker, to: dest, compression: compression)
    }
}

enum LocalOutput {
    static func write(_ result: BuildResult, store: ContentStore, to dest: String) throws {
        try FileManager.default.createDirectory(atPath: dest, withIntermediateDirectories: true)
        for layer in result.manifest.layers {
            _ = try LayerApplier(target: dest).apply(blobFile: try store.open(layer.digest).path)
        }
    }
}
