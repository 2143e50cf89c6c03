import ArgumentParser
import ContainerRuntime

/// `kiln run`'s resource flags, spelled as `docker run`'s (`-m/--memory`, `--memory-swap`, `--memory-reservation`,
/// `--cpus`, `-c/--cpu-shares`, `--cpuset-cpus`, `--pids-limit`); `ResourceFlags` parses and checks them.
struct ResourceOptions: ParsableArguments {
    @Option(name: .shortAndLong, parsing: .unconditional, help: ArgumentHelp("Memory limit (e.g. 32m, 1g)", valueName: "bytes"))
    var memory: String?
    @Option(name: .customLong("memory-swap"), parsing: .unconditional,
            help: ArgumentHelp("Swap limit equal to memory plus swap: '-1' to enable unlimited swap", valueName: "bytes"))
    var memorySwap: String?
    @Option(name: .customLong("memory-reservation"), parsing: .unconditional, help: ArgumentHelp("Memory soft limit", valueName: "bytes"))
    var memoryReservation: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Number of CPUs", valueName: "decimal"))
    var cpus: String?
    @Option(name: [.customShort("c"), .customLong("cpu-shares")], parsing: .unconditional,
            help: ArgumentHelp("CPU shares (relative weight)", valueName: "int"))
    var cpuShares: String?
    @Option(name: .customLong("cpuset-cpus"), help: ArgumentHelp("CPUs in which to allow execution (0-3, 0,1)", valueName: "string"))
    var cpusetCpus: String?
    @Option(name: .customLong("pids-limit"), parsing: .unconditional,
            help: ArgumentHelp("Tune container pids limit (set -1 for unlimited)", valueName: "int"))
    var pidsLimit: String?

    var flags: ResourceFlags {
        ResourceFlags(memory: memory, memorySwap: memorySwap, memoryReservation: memoryReservation, cpus: cpus,
                      cpuShares: cpuShares, cpusetCpus: cpusetCpus, pidsLimit: pidsLimit)
    }

    /// The limits, or Docker's message and exit status 125; refused as well where they cannot be applied
    /// (rootless without a delegated cgroup v2 subtree).
    func limits() throws -> ResourceLimits {
        do {
            let limits = try flags.limits(warn: { printError($0) })
            try CgroupPlacement.check(limits)
            return limits
        } catch let invalid as ResourceFlags.Invalid {
            printError("kiln: error: \(invalid)\nSee 'kiln run --help'.")
            throw ExitCode(125)
        } catch {
            printError("kiln: error: \(error)")
            throw ExitCode(125)
        }
    }
}
