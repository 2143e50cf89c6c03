import ArgumentParser
import Builder
import Foundation
import ImageArchive
import ImageSpec
import Images
import LayerArchive
import LayerVariants

/// `kiln build --platform P1,P2,…`: the platforms, and the export of the image index the build makes
/// (names, `-o type=oci|local`, `--push`), as buildx does it.
extension BuildCommand {
    /// `linux/amd64,linux/arm64` → each platform, normalised. Throws for an empty or invalid entry.
    static func parsePlatforms(_ text: String) throws -> [Platform] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map { part in
            let spec = part.trimmingCharacters(in: .whitespaces)
            guard !spec.isEmpty else { throw ValidationError("--platform \(text): empty platform in the list") }
            return try PullCommand.parsePlatform(spec)
        }
    }

    /// BuildKit's `exporting to image` for an index: names the index, writes each output, pushes.
    static func exportIndex(_ built: MultiPlatformResult, tags: [ImageReference], outputs: [BuildOutputSpec], push: Bool,
                            compression: ExportCompression, service: ImageService, reporter: BuildProgress) async throws {
        let step = reporter.begin("exporting to image")
        var now = Date()
        for image in built.images {
            reporter.status(step, BuildStatus(id: "exporting manifest \(image.result.manifestDescriptor.digest) (\(PlatformIndex.descriptorPlatform(image.platform)))", started: now, completed: now))
        }
        reporter.status(step, BuildStatus(id: "exporting manifest list \(built.index.digest)", started: now, completed: now))
        for reference in tags {
            if try service.store.resolve(reference)?.digest != built.index.digest {
                try await service.store.tag(reference, built.index)
            }
            now = Date()
            reporter.status(step, BuildStatus(id: "naming to \(reference.description)", started: now, completed: now))
        }
        for spec in outputs {
            guard let dest = spec.dest else { continue }
            switch spec.kind {
            case .image:
                continue
            case .docker:
                throw BuildError("docker exporter does not currently support exporting manifest lists; use -o type=oci,dest=… for a multi-platform build")
            case .oci:
                let exported = try service.exportedIndex(built.index, compression: spec.compression ?? compression)
                try await ImageExporter(store: service.store).export([ArchiveImage(manifestDescriptor: exported, references: tags)],
                                                                    format: .oci, to: dest)
            case .local:
                // One directory per platform, named as buildx names them (`linux_arm64`).
                for image in built.images {
                    let name = Builder.platformArgValue(image.platform).replacingOccurrences(of: "/", with: "_")
                    try LocalOutput.write(image.result, store: service.store, to: dest + "/" + name)
                }
            }
        }
        reporter.done(step)
        guard push else { return }
        for reference in tags {
            let pushing = reporter.begin("pushing \(reference.familiar) with docker")
            let digest = try await BuildProgress.$currentStep.withValue(pushing) {
                try await service.pushIndex(built.index, to: reference, compression: compression)
            }
            now = Date()
            reporter.status(pushing, BuildStatus(id: "pushing \(reference.familiar): digest: \(digest)", started: now, completed: now))
            reporter.done(pushing)
        }
    }
}
