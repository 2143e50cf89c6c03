import ArgumentParser

@main
struct Kiln: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kiln",
        abstract: "Build OCI container images from Dockerfiles, without a daemon.",
        version: KilnVersion.current,
        subcommands: [
            VersionCommand.self,
            CheckCommand.self,
            DebugCommand.self,
            SaveCommand.self,
            LoadCommand.self,
            ImportCommand.self,
        ]
    )
}
