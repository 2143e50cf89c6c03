/// The base images a Dockerfile names, for callers that resolve them (locally) and feed
/// `InvalidBaseImagePlatform` through ``CheckInput/basePlatforms``.
public struct BaseImageUse: Sendable, Hashable {
    /// Index of the stage (0-based, in source order).
    public var stage: Int
    /// The base image with global ARG defaults expanded.
    public var image: String
    /// The stage's `FROM --platform` value when it is a constant (no `$`), else nil.
    public var constantPlatform: String?
}

extension CheckInput {
    /// Stages built on an image (not `scratch`, not an earlier stage) whose name needs no build ARG.
    public var baseImages: [BaseImageUse] {
        let defaults = model.metaArgDefaults
        return model.stages.compactMap { stage in
            guard !stage.isScratch, stage.parent == nil,
                  let image = model.expander.expand(stage.baseName, defaults)?.result, !image.isEmpty, !image.contains("$")
            else { return nil }
            let platform = stage.platform.flatMap { $0.contains("$") ? nil : $0 }
            return BaseImageUse(stage: stage.index, image: image, constantPlatform: platform)
        }
    }
}
