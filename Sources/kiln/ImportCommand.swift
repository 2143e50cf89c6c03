import ArgumentParser
import Foundation
import ImageArchive
import ImageSpec

/// `kiln import`: makes a one-layer image from a root filesystem tar, like `docker import`.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import the contents from a tarball to create a filesystem image."
    )

    @OptionGroup var store: StoreOptions

    @Option(name: [.customShort("c"), .long], help: ArgumentHelp("Apply Dockerfile instruction to the created image.", valueName: "CHANGE"))
    var change: [String] = []

    @Option(name: [.short, .long], help: ArgumentHelp("Set commit message for imported image.", valueName: "MSG"))
    var message: String?

    @Option(name: .long, help: ArgumentHelp("Set platform if server is multi-platform capable.", valueName: "OS/ARCH"))
    var platform: String?

    @Argument(help: ArgumentHelp("A tar file (plain or gzip), or - for STDIN.", valueName: "FILE|-"))
    var file: String

    @Argument(help: ArgumentHelp("Name for the image.", valueName: "REPOSITORY[:TAG]"))
    var reference: String?

    func run() async throws {
        let contentStore = try store.openStore()
        try await runArchiveCommand {
            let name = try reference.map { try ImageReference(parsing: $0) }
            let target = try platform.map { try Platform(parsing: $0) } ?? Platform.host
            let image = try await ImageLoader(store: contentStore).importRootfs(
                from: file, reference: name, changes: change, message: message, platform: target)
            let id = try ArchiveImageResolver(store: contentStore).imageID(of: image.manifestDescriptor)
            print(id.description)
        }
    }
}
