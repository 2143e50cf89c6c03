import ContainerRuntime
import Foundation
import ImageSpec

/// The kiln binary that runs now: the container monitor (`kiln __monitor`) and the network hook
/// (`kiln __network-hook`) are this same binary started again.
enum KilnExecutable {
    static var path: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}

/// /etc/hosts lines of Docker's `ExtraHosts` entries (`HOST:IP`, as `--add-host` records them):
/// `IP\tHOST`. Shared by `kiln run` containers and the RUN steps of `kiln build`.
public enum ContainerHosts {
    public static func lines(_ entries: [String]) -> [String] {
        entries.compactMap { entry in
            guard let colon = entry.firstIndex(of: ":") else { return nil }
            return String(entry[entry.index(after: colon)...]) + "\t" + String(entry[..<colon])
        }
    }
}

extension ContainerRecord {
    /// The runtime's security options this container asks for: Docker's default seccomp profile,
    /// none (`unconfined`) or the recorded profile's JSON; `no-new-privileges`.
    public func securityOptions() throws -> SecurityOptions {
        var options = SecurityOptions.standard
        options.noNewPrivileges = noNewPrivileges ?? false
        switch seccomp {
        case nil: break
        case "unconfined"?: options.seccomp = .unconfined
        case let json?: options.seccomp = .profile(try SeccompProfile.decode(Data(json.utf8), source: "the container's seccomp profile"))
        }
        return options
    }
}

extension HealthSettings {
    /// The image's HEALTHCHECK as a container runs it; nil for `NONE` or no test.
    public init?(image check: Healthcheck) {
        guard check.test.first != "NONE", check.test.count >= 2 else { return nil }
        func seconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        }
        self.init(test: check.test, interval: seconds(check.interval), timeout: seconds(check.timeout),
                  startPeriod: seconds(check.startPeriod), retries: check.retries)
    }
}

extension ContainerSession {
    /// `kiln run` in the foreground: runs the container and returns its exit status. A start
    /// failure's message goes to `report`; a container kiln could not start (status 125: a busy
    /// port, a failed mount) is removed, as Docker leaves none behind.
    public func runInForeground(report: (String) -> Void) -> Int32 {
        var failedToStart = false
        let status = run { failure, status in
            if let failure {
                report(failure)
                failedToStart = status == 125
            }
        }
        if failedToStart { containers.remove(record.id) }
        return status
    }
}
