import Builder
import Foundation
import ImageSpec
import Images

/// `kiln build --cache-from IMAGE` (repeatable): each image is taken from the store, or pulled for
/// the build's platform when missing. An image that cannot be had is a warning, not an error (the
/// build then runs its steps), as Docker does.
enum CacheFromFlag {
    /// An image with an inline cache (`moby.buildkit.cache.v0`, `--cache-to type=inline`) also adds
    /// its records to `imports`, its layers fetched from the image's repository when needed.
    static func load(_ names: [String], platform: Platform, service: ImageService,
                     imports: inout ImportedCacheIndex) async throws -> [CacheFromImage] {
        var result: [CacheFromImage] = []
        for name in names {
            do {
                var image = try await service.localImage(name)
                if image == nil {
                    image = try await service.pull(try ImageReference(parsing: name), platform: platform)
                }
                if let image {
                    result.append(CacheFromImage(name: name, config: image.config, layers: image.manifest.layers))
                    if let inline = try InlineCache.entries(in: image.config, layers: image.manifest.layers),
                       let reference = try? ImageReference(parsing: name) {
                        imports.add(inline, from: .registry(RemoteBlob(host: reference.registryHost, repository: reference.repository)))
                    }
                }
            } catch {
                printError("WARNING: --cache-from \(name): cannot use it as a cache source: \(error)")
            }
        }
        return result
    }
}
