import ArgumentParser
import Containers
import Foundation

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
            try context.control.start(record)
            return true
        }
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
            try context.control.stop(record, signal: nil, timeout: time)
            try context.control.start(record)
            return true
        }
    }
}
