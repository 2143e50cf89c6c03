import Foundation
import ImageSpec
import ImageStore
import Images

/// `kiln build --platform P1,P2,…`: one ``BuildPlan`` per target platform, executed at the same time
/// by one ``Builder`` each; stages the plans have in common (same platform, same inputs: see
/// ``SharedStages``) are built once, and base images are resolved once per reference and platform.
/// The images become one OCI image index (``PlatformIndex``), stored in the content store.
public struct MultiPlatformBuild: Sendable {
    public let options: BuildOptions
    public let platforms: [Platform]

    /// `platforms`: at least one, no two equal. Throws ``BuildError`` otherwise.
    public init(options: BuildOptions, platforms: [Platform]) throws {
        guard !platforms.isEmpty else { throw BuildError("--platform names no platform") }
        var seen = Set<String>()
        for platform in platforms where !seen.insert(Builder.platformArgValue(platform)).inserted {
            throw BuildError("--platform names \(Builder.platformArgValue(platform)) twice")
        }
        self.options = options
        self.platforms = platforms
    }

    /// Builds every platform; the first failure cancels the others and is thrown (``BuildError``).
    public func build(images: ImageService, progress: BuildProgress) async throws -> MultiPlatformResult {
        _ = try options.sourceDateEpoch()
        let shared = SharedStages()
        var builders: [Builder] = []
        for (i, platform) in platforms.enumerated() {
            var options = options
            if i > 0 { options.tracePath = nil }  // one trace file: the first plan's
            let plan = try BuildPlan(options: options, platform: platform)
            builders.append(try Builder(plan: plan, options: options, images: images, progress: progress, shared: shared))
        }
        let results = try await withThrowingTaskGroup(of: (Int, BuildResult).self) { group in
            for (i, builder) in builders.enumerated() {
                group.addTask { (i, try await builder.build()) }
            }
            var results: [Int: BuildResult] = [:]
            for try await (i, result) in group { results[i] = result }
            return results
        }
        let built = platforms.indices.map { PlatformImage(platform: platforms[$0], result: results[$0]!, builder: builders[$0]) }
        let index = try PlatformIndex.write(built.map(\.manifestDescriptor), store: images.store)
        return MultiPlatformResult(images: built, index: index)
    }
}

/// One platform's image of a multi-platform build.
public struct PlatformImage: Sendable {
    /// The platform asked for.
    public var platform: Platform
    public var result: BuildResult
    /// The builder that made it (its cache entries and lazily imported layers, for `--cache-to`).
    public var builder: Builder?

    public init(platform: Platform, result: BuildResult, builder: Builder? = nil) {
        self.platform = platform
        self.result = result
        self.builder = builder
    }

    /// The image's manifest descriptor with its platform, as the index lists it.
    public var manifestDescriptor: Descriptor {
        var descriptor = result.manifestDescriptor
        descriptor.annotations = nil
        descriptor.platform = PlatformIndex.descriptorPlatform(platform)
        return descriptor
    }
}

/// What `kiln build --platform P1,P2` made: an image per platform (in the order asked) and the
/// index listing them.
public struct MultiPlatformResult: Sendable {
    public var images: [PlatformImage]
    /// The stored OCI image index.
    public var index: Descriptor

    public init(images: [PlatformImage], index: Descriptor) {
        self.images = images
        self.index = index
    }
}

/// The OCI image index of a multi-platform build.
public enum PlatformIndex {
    /// The index listing `manifests` in the order given: each an image manifest descriptor carrying
    /// its platform (attestation manifests may be appended beside them by the caller).
    public static func index(_ manifests: [Descriptor]) -> Index {
        Index(mediaType: .ociIndex, manifests: manifests)
    }

    /// Stores ``index(_:)`` of `manifests`; returns its descriptor.
    public static func write(_ manifests: [Descriptor], store: ContentStore) throws -> Descriptor {
        let blob = try JSONBlob(encoding: index(manifests))
        return try store.put(bytes: blob.bytes, mediaType: .ociIndex)
    }

    /// A platform as an index names it: `linux/arm64` without the implied `v8` variant, as BuildKit writes it.
    public static func descriptorPlatform(_ platform: Platform) -> Platform {
        let p = platform.normalized()
        guard p.architecture == "arm64", p.variant == "v8" else { return p }
        return (try? Platform(os: p.os, architecture: p.architecture, osVersion: p.osVersion, osFeatures: p.osFeatures)) ?? p
    }
}
