import ArgumentParser
import Foundation
import ImageArchive

/// `kiln save`: writes images to a docker-archive (default) or OCI archive, like `docker save`.
struct SaveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "save",
        abstract: "Save one or more images to a tar archive (streamed to STDOUT by default)."
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var compression: CompressionOptions

    @Option(name: [.short, .long], help: ArgumentHelp("Write to a file, instead of STDOUT.", valueName: "FILE"))
    var output: String?

    @Option(name: .long, help: ArgumentHelp("Archive format: docker (docker save/load) or oci (OCI image layout).", valueName: "FORMAT"))
    var format: String = "docker"

    @Argument(help: ArgumentHelp("Images to save: NAME[:TAG], NAME@DIGEST, or an image ID.", valueName: "IMAGE"))
    var images: [String]

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("\"kiln save\" requires at least 1 argument.") }
        guard ArchiveFormat(rawValue: format) != nil else { throw ValidationError("unknown format \(format): use docker or oci") }
    }

    func run() async throws {
        let destination = output ?? "-"
        if destination == "-", isatty(1) != 0 {
            printError("error: cowardly refusing to save to a terminal. Use the -o flag or redirect")
            throw ExitCode(1)
        }
        try await ImageCommandSupport.withService(store) { service in
            try await runArchiveCommand {
                let resolved = try await ArchiveImageResolver(store: service.store).resolve(images, with: service)
                try await ImageExporter(store: service.store).export(resolved, format: ArchiveFormat(rawValue: format)!, to: destination,
                                                                     compression: try compression.resolved())
            }
        }
    }
}
