import ArgumentParser
import Builder
import Foundation

/// `kiln setup-binfmt`: registers QEMU user-mode emulators with the kernel (binfmt_misc, F flag)
/// so RUN steps of foreign-architecture images run, as tonistiigi/binfmt does for Docker.
struct SetupBinfmtCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup-binfmt",
        abstract: "Register Debian's qemu-user-static emulators for foreign-architecture RUN steps (root)")

    func run() throws {
        let handlers = BinfmtHandlers()
        do {
            let registered = try handlers.registerQemuHandlers()
            print(registered.isEmpty ? "nothing to register: every QEMU handler is already there" : "registered: " + registered.joined(separator: " "))
            let emulated = handlers.handlers().filter { $0.enabled && $0.name.hasPrefix("qemu-") && $0.flags.contains("F") }
            print("emulators: " + emulated.map { String($0.name.dropFirst("qemu-".count)) }.joined(separator: " "))
        } catch let error as BuildError {
            printError("ERROR: \(error.message)")
            throw ExitCode(1)
        }
    }
}
