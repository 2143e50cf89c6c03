import ArgumentParser
import Foundation
import ImageArchive

/// `kiln load`: loads images from a docker-archive or OCI archive, like `docker load`.
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Load images from a tar archive or STDIN (docker-archive, OCI archive, or OCI layout folder)."
    )

    @OptionGroup var store: StoreOptions

    @Option(name: [.short, .long], help: ArgumentHelp("Read from tar archive file, instead of STDIN.", valueName: "FILE"))
    var input: String?

    @Flag(name: [.short, .long], help: "Suppress the load output.")
    var quiet = false

    func run() async throws {
        let source = input ?? "-"
        if source == "-", isatty(0) != 0 {
            printError("error: requested load from stdin, but stdin is empty")
            throw ExitCode(1)
        }
        let contentStore = try store.openStore()
        try await runArchiveCommand {
            let images = try await ImageLoader(store: contentStore).load(from: source)
            let resolver = ArchiveImageResolver(store: contentStore)
            for image in images {
                if image.references.isEmpty {
                    let id = (try? resolver.imageID(of: image.manifestDescriptor)) ?? image.manifestDescriptor.digest
                    print("Loaded image ID: \(id)")
                }
                for reference in image.references {
                    print("Loaded image: \(reference.familiar)")
                }
            }
        }
    }
}
