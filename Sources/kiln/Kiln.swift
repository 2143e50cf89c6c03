import ArgumentParser
import ContainerRuntime

@main
struct Kiln: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kiln",
        abstract: "Build OCI container images from Dockerfiles, without a daemon.",
        version: KilnVersion.current,
        subcommands: [
            VersionCommand.self,
            CheckCommand.self,
            AuditCommand.self,
            DebugCommand.self,
            BuildCommand.self,
            SetupBinfmtCommand.self, ManifestCommand.self,
            PullCommand.self, PushCommand.self, ImagesCommand.self, TagCommand.self, RmiCommand.self,
            InspectCommand.self, HistoryCommand.self, LoginCommand.self, LogoutCommand.self,
            SystemCommand.self, PruneCommand.self,
            SaveCommand.self,
            LoadCommand.self,
            ImportCommand.self,
            RunCommand.self, PsCommand.self, LogsCommand.self, StartCommand.self, RestartCommand.self, StopCommand.self,
            KillCommand.self, RmCommand.self,
            ImageGroupCommand.self, ContainerGroupCommand.self, BuilderGroupCommand.self,
            ExecCommand.self, PortCommand.self, MonitorCommand.self, NetworkHookCommand.self,
        ]
    )

    /// A plain user's kiln first re-executes itself in its own user namespace (UserNamespaceEntry).
    static func main() async {
        UserNamespaceEntry.reexecIfNeeded()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
