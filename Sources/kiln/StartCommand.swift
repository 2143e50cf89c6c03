import ArgumentParser
import Foundation
import ImageStore

/// `kiln start CONTAINER...` and `kiln restart [-t S] CONTAINER...`, as `docker start`/`restart`:
/// a stopped container runs again, detached, over the writable layer it kept (a monitor process
/// runs it, as for `kiln run -d`). The `-e`/`--env-file` values it was created with were never
/// stored, so it starts with the image's environment; kiln says so when it had some.
struct StartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start one or more stopped containers")

    @OptionGroup var store: StoreOptions
    @Argument var containers: [String]

    func run() async throws {
        let context = try ContainerContext(store)
        try context.forEach(containers) { record, _ in
            guard context.containers.state(record.id).status != "running" else { return true }
            return try Self.start(record, context: context)
        }
    }

    /// Starts a stopped container; false (after the error is printed) when it cannot run.
    static func start(_ record: ContainerRecord, context: ContainerContext) throws -> Bool {
        guard !record.autoRemove || context.containers.state(record.id).status == "created" else {
            printError("kiln: error: container \(record.shortID) was started with --rm and cannot be restarted")
            return false
        }
        // The previous run's monitor unmounts the root filesystem after recording the exit.
        let previous = context.containers.state(record.id).monitorPID
        let deadline = Date().addingTimeInterval(30)
        while previous > 0, kill(previous, 0) == 0 || errno != ESRCH, Date() < deadline { usleep(50_000) }
        let env = RunEnvironment.merge(hostname: record.shortID, tty: record.tty, imageEnv: record.imageEnv ?? [], userEnv: [])
        do {
            try ContainerMonitor.start(record, env: env, location: context.location)
        } catch is ExitCode {
            return false
        }
        return true
    }
}

struct RestartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restart", abstract: "Restart one or more containers")

    @OptionGroup var store: StoreOptions
    @Option(name: [.short, .customLong("time"), .customLong("timeout")], help: "Seconds to wait for stop before killing the container")
    var time: Int?
    @Argument var containers: [String]

    func run() async throws {
        let context = try ContainerContext(store)
        try context.forEach(containers) { record, _ in
            guard try context.stop(record, signal: nil, timeout: time) else { return false }
            return try StartCommand.start(record, context: context)
        }
    }
}
