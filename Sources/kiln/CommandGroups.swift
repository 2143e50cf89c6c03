import ArgumentParser

/// Docker's management command groups: `kiln image …`, `kiln container …`, `kiln builder …`,
/// the same commands as the top-level ones where both exist.
struct ImageGroupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image", abstract: "Manage images",
        subcommands: [ImageInspectCommand.self, ImagePruneCommand.self, HistoryCommand.self, PullCommand.self, PushCommand.self,
                      TagCommand.self, SaveCommand.self, LoadCommand.self, ImportCommand.self]
    )
}

struct ContainerGroupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "container", abstract: "Manage containers",
        subcommands: [ContainerInspectCommand.self, ContainerPruneCommand.self, RunCommand.self, StartCommand.self,
                      RestartCommand.self, StopCommand.self, KillCommand.self, RmCommand.self, LogsCommand.self,
                      ExecCommand.self, PortCommand.self]
    )
}

struct BuilderGroupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "builder", abstract: "Manage the build cache",
        subcommands: [BuilderPruneCommand.self]
    )
}
