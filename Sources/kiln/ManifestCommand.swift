import ArgumentParser
import Foundation
import ImageSpec
import Images

/// `kiln manifest inspect REF`: the image index (manifest list) or manifest REF names, as JSON —
/// the one the local store holds for that name (what `kiln build --platform P1,P2 -t REF` tagged),
/// else the registry's, as `docker manifest inspect` prints it.
struct ManifestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manifest", abstract: "Inspect image manifests and manifest lists",
        subcommands: [ManifestInspectCommand.self])
}

struct ManifestInspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Display an image manifest, or manifest list")

    @OptionGroup var store: StoreOptions

    @Argument(help: ArgumentHelp("The image (a local name, else one in its registry)", valueName: "MANIFEST_LIST | MANIFEST"))
    var name: String

    func run() async throws {
        let reference: ImageReference
        do { reference = try ImageReference(parsing: name) } catch {
            printError("invalid reference format: \(error)")
            throw ExitCode(1)
        }
        let bytes = try await ImageCommandSupport.withService(store) { service -> Data in
            if let local = try service.store.resolve(reference), local.mediaType.isIndex || local.mediaType.isManifest {
                return try service.store.read(local.digest)
            }
            return try await service.registry.resolve(reference).bytes
        }
        let object = try JSONSerialization.jsonObject(with: bytes)
        let pretty = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        printOut(String(decoding: pretty, as: UTF8.self))
    }
}
