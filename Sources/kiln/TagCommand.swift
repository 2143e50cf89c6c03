import ArgumentParser
import Foundation
import ImageSpec
import Images

/// `kiln tag SOURCE TARGET`, as `docker tag`: points TARGET at SOURCE's manifest.
struct TagCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tag", abstract: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE")

    @OptionGroup var store: StoreOptions

    @Argument(help: ArgumentHelp("Source image", valueName: "SOURCE_IMAGE[:TAG]"))
    var source: String

    @Argument(help: ArgumentHelp("Target image", valueName: "TARGET_IMAGE[:TAG]"))
    var target: String

    func run() async throws {
        let targetReference = try ImageCommandSupport.reference(target)
        if targetReference.digest != nil {
            printError("Error: refusing to create a tag with a digest reference")
            throw ExitCode(1)
        }
        try await ImageCommandSupport.withService(store) { service in
            let image = try await ImageCommandSupport.image(service, source)
            try await service.store.tag(targetReference, image.manifestDescriptor)
        }
    }
}
