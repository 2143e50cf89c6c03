import Attestations
import Builder
import Foundation
import ImageSpec
import Images
import LayerVariants

/// What a multi-platform build adds to its index before and after the export, as buildx does it:
/// `--cache-to type=inline` (each platform's image config carries its own records), `--sbom` /
/// `--provenance` (one attestation manifest per platform's image, in the same index) and the
/// other `--cache-to` exports (one cache manifest holding every platform's records).
extension BuildCommand {
    /// The index to name and push: the images with their inline caches and the attestation
    /// manifests asked for. Lazily imported layers are fetched first (the index's push and export
    /// copy every image whole).
    static func attach(to built: MultiPlatformResult, cacheExports: [CacheExportFlag], attest: AttestationRequest,
                       invocation: BuildAttestations.Invocation, tags: [ImageReference], compression: ExportCompression,
                       service: ImageService) async throws -> MultiPlatformResult {
        var built = built
        for image in built.images { try await image.builder?.fetchLazyLayers(of: image.result) }
        if cacheExports.contains(where: \.isInline) {
            for i in built.images.indices {
                guard let builder = built.images[i].builder else { continue }
                let result = built.images[i].result
                built.images[i].result = try InlineCacheExport.apply(result, entries: builder.cacheEntries(allStages: false, result: result),
                                                                     service: service)
                builder.recordCacheUse(for: built.images[i].result.id)
            }
            built.index = try PlatformIndex.write(built.images.map(\.manifestDescriptor), store: service.store)
        }
        guard !attest.isEmpty else { return built }
        var images: [Descriptor] = []
        var statements: [Digest: [AttestationLayer]] = [:]
        for image in built.images {
            let (descriptor, layers) = try BuildAttestations.statements(
                for: image.result, platform: PlatformIndex.descriptorPlatform(image.platform), request: attest, invocation: invocation,
                tags: tags, compression: compression, service: service)
            images.append(descriptor)
            statements[descriptor.digest] = layers
        }
        built.index = try AttestationIndex.assemble(images: images, attestations: statements).write(to: service.store)
        return built
    }

    /// `--cache-to` (registry, local) after the export: one cache for all the platforms.
    static func exportCache(of built: MultiPlatformResult, to exports: [CacheExportFlag], service: ImageService) async throws {
        let builds = built.images.compactMap { image in image.builder.map { (builder: $0, result: image.result) } }
        for spec in exports where !spec.isInline {
            try await spec.export(builds, service: service)
        }
    }
}
