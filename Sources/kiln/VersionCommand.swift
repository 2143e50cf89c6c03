import ArgumentParser

enum KilnVersion {
    static let current = "0.1.0-dev"
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Show the kiln version."
    )

    func run() throws {
        print("kiln version \(KilnVersion.current)")
    }
}
