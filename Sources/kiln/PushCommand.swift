import ArgumentParser
import Foundation
import ImageSpec
import Images

/// `kiln push [-q] NAME[:TAG]`, as `docker push`.
struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "push", abstract: "Upload an image to a registry")

    @OptionGroup var store: StoreOptions
    @OptionGroup var compression: CompressionOptions

    @Flag(name: .shortAndLong, help: "Suppress verbose output")
    var quiet = false

    @Argument(help: ArgumentHelp("The image to push", valueName: "NAME[:TAG]"))
    var image: String

    func run() async throws {
        let reference = try ImageCommandSupport.reference(image)
        let compression = try self.compression.resolved()
        let renderer = ProgressRenderer(mode: .push)
        let progress: any TransferProgress = quiet ? SilentProgress() : renderer
        let (digest, size) = try await ImageCommandSupport.withService(store, progress: progress) { service in
            guard let local = try await service.localImage(reference.description), local.references.contains(reference) else {
                throw ImagesError(.noSuchImage, "An image does not exist locally with the tag: \(reference.familiarName)")
            }
            if !quiet { printError("The push refers to repository [\(reference.name)]") }
            // An index kiln holds whole (a build with --sbom/--provenance): every manifest, then the index.
            if let top = try service.store.resolve(reference), service.isCompleteIndex(top) {
                return (try await service.pushIndex(top, to: reference), top.size)
            }
            let exported = try service.exported(local, compression: compression)
            let digest = try await service.push(exported, to: reference, compression: compression)
            return (digest, exported.manifestDescriptor.size)
        }
        if !quiet {
            renderer.finish()
            printOut("\(reference.tag ?? "latest"): digest: \(digest) size: \(size)")
        } else {
            printOut(reference.description)
        }
    }
}
