import BuildChecks
import Foundation
import ImageSpec
import ImageStore
import Images

/// `kiln check --platform P1,P2`: the platforms of each base image found in the local store
/// (kiln check never pulls), compared with the platforms the build would ask of it (the stage's
/// constant `FROM --platform`, else each requested platform), for `InvalidBaseImagePlatform`.
enum CheckBasePlatforms {
    static func find(_ uses: [BaseImageUse], platforms: [Platform], service: ImageService) -> [BasePlatform] {
        let tagged = (try? service.store.list()) ?? []
        var found: [BasePlatform] = []
        for use in uses {
            guard let reference = try? ImageReference(parsing: use.image),
                  let entry = tagged.first(where: { $0.reference == reference }) else { continue }
            let expected = use.constantPlatform.flatMap { try? Platform(parsing: $0) }.map { [$0] } ?? platforms
            let available: [Platform]
            if entry.descriptor.mediaType.isIndex {
                available = service.platforms(of: entry.descriptor)
            } else if let image = try? service.load(entry.descriptor) {
                available = [image.config.platform]
            } else {
                continue
            }
            guard !available.isEmpty else { continue }
            for platform in expected where !available.contains(where: { platform.canRun($0) && $0.architecture == platform.architecture }) {
                found.append(BasePlatform(stage: use.stage, image: use.image, expected: platform.description,
                                          actual: available.map(\.description).joined(separator: ",")))
            }
        }
        return found
    }
}
