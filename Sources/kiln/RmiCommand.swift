import ArgumentParser
import Containers
import Foundation
import ImageSpec
import Images

/// `kiln rmi [-f] IMAGE...`, as `docker rmi`: `Untagged: …` and `Deleted: …` lines.
struct RmiCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rmi", abstract: "Remove one or more images")

    @OptionGroup var store: StoreOptions

    @Flag(name: .shortAndLong, help: "Force removal of the image")
    var force = false

    @Argument(help: ArgumentHelp("Images to remove", valueName: "IMAGE"))
    var images: [String]

    func run() async throws {
        var failed = false
        try await ImageCommandSupport.withService(store) { service in
            for name in images {
                do {
                    if let image = try await service.localImage(name),
                       let conflict = ContainerImageUse.conflict(removing: name, image: image, force: force, location: try store.location()) {
                        printError("kiln: error: \(conflict)")
                        failed = true
                        continue
                    }
                    for event in try await service.remove(name, force: force) {
                        switch event {
                        case .untagged(let text): printOut("Untagged: \(text)")
                        case .deleted(let id): printOut("Deleted: \(id)")
                        }
                    }
                } catch let error as ImagesError {
                    printError("kiln: error: \(error)")
                    failed = true
                }
            }
        }
        if failed { throw ExitCode(1) }
    }
}
