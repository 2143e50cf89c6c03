import ArgumentParser
import Foundation
import ImageSpec
import Images

/// `kiln pull [-q] [--platform P] NAME[:TAG|@DIGEST]`, as `docker pull`.
struct PullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pull", abstract: "Download an image from a registry")

    @OptionGroup var store: StoreOptions

    @Flag(name: .shortAndLong, help: "Suppress verbose output")
    var quiet = false

    @Option(help: ArgumentHelp("Set platform if server is multi-platform capable", valueName: "string"))
    var platform: String?

    @Argument(help: ArgumentHelp("The image to pull", valueName: "NAME[:TAG|@DIGEST]"))
    var image: String

    func run() async throws {
        let reference = try ImageCommandSupport.reference(image)
        let target: Platform
        do {
            target = try Self.parsePlatform(platform)
        } catch {
            printError("Error: \(error)")
            throw ExitCode(1)
        }
        let renderer = ProgressRenderer(mode: .pull)
        let progress: any TransferProgress = quiet ? SilentProgress() : renderer
        let explicitTag = image.contains("@") || (image.split(separator: "/").last?.contains(":") ?? false)
        let result = try await ImageCommandSupport.withService(store, progress: progress) { service in
            if !quiet {
                if !explicitTag { printError("Using default tag: latest") }
                let label = reference.tag ?? reference.digest.map { $0.description } ?? ""
                printError("\(label): Pulling from \(reference.repository)")
            }
            return try await service.pullImage(reference, platform: target)
        }
        if !quiet {
            renderer.finish()
            printOut("Digest: \(result.digest)")
            let shown = reference.familiar
            printOut(result.downloadedNewer ? "Status: Downloaded newer image for \(shown)" : "Status: Image is up to date for \(shown)")
        }
        printOut(reference.description)
    }

    static func parsePlatform(_ text: String?) throws -> Platform {
        guard let text, !text.isEmpty else { return Platform.host }
        return try Platform(parsing: text)
    }
}
