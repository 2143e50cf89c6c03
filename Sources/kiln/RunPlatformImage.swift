import Builder
import Foundation
import ImageSpec
import Images

/// `kiln run --platform P IMAGE`: the image for P — the entry of a local image index (what
/// `kiln build --platform P1,P2 -t IMAGE` made), a local single image made for P, else pulled for P —
/// and a check that this machine can run it (natively or through a QEMU binfmt_misc handler).
enum RunPlatformImage {
    static func resolve(_ name: String, platform: Platform, service: ImageService) async throws -> LocalImage {
        let reference = try? ImageReference(parsing: name)
        if let reference, let stored = try service.store.resolve(reference), stored.mediaType.isIndex,
           let image = try? service.load(stored, platform: platform), try service.holdComplete(image) {
            return try checked(image, platform)
        }
        if let image = try await service.localImage(name), platform.canRun(image.config.platform), try service.holdComplete(image) {
            return try checked(image, platform)
        }
        if ImageService.looksLikeImageID(name) { throw ImagesError(.noSuchImage, "No such image: \(name) for \(platform)") }
        let pulled = try ImageCommandSupport.reference(name)
        printError("Unable to find image '\(pulled.familiar)' for \(platform) locally")
        return try checked(try await service.pull(pulled, platform: platform), platform)
    }

    private static func checked(_ image: LocalImage, _ platform: Platform) throws -> LocalImage {
        try BinfmtHandlers().checkRunnable(image.config.platform)
        return image
    }
}
