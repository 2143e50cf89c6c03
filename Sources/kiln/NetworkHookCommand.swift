import ArgumentParser
import Containers
import Foundation

/// `kiln __network-hook --root R ID` (hidden): the OCI createRuntime hook of a `private` network
/// container (NetworkHook.attach), given the runtime state on stdin.
struct NetworkHookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "__network-hook", shouldDisplay: false)

    @OptionGroup var store: StoreOptions
    @Argument var id: String

    func run() async throws {
        let input = FileHandle.standardInput.readDataToEndOfFile()
        do {
            try NetworkHook.attach(location: try store.location(), id: id, runtimeState: input)
        } catch let error as ContainerError {
            printError(error.message)
            throw ExitCode(error.status)
        }
    }
}
