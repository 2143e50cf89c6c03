import ContainerRuntime
import Foundation

/// The image's HEALTHCHECK as `kiln run` records it (durations in seconds, 0 = Docker's default).
public struct HealthSettings: Codable, Sendable {
    /// `["CMD", args…]` or `["CMD-SHELL", command]`.
    public var test: [String]
    public var interval: Double
    public var timeout: Double
    public var startPeriod: Double
    public var retries: Int

    public init(test: [String], interval: Double, timeout: Double, startPeriod: Double, retries: Int) {
        self.test = test
        self.interval = interval
        self.timeout = timeout
        self.startPeriod = startPeriod
        self.retries = retries
    }

    /// The argv the test runs.
    public var argv: [String] {
        guard let kind = test.first else { return [] }
        return kind == "CMD-SHELL" ? ["/bin/sh", "-c", test.dropFirst().joined(separator: " ")] : Array(test.dropFirst())
    }
}

/// Runs the health check in the container every interval, from the process that runs it, and
/// records `starting`, `healthy` or `unhealthy` in its state (Docker's rules: the check runs after
/// each interval; a success makes it healthy; `retries` consecutive failures unhealthy; failures
/// during the start period do not count; defaults 30 s interval and timeout, 3 retries).
final class HealthChecker: @unchecked Sendable {
    private let settings: HealthSettings
    private let runner: ContainerRunner
    private let containers: ContainerStore
    private let record: ContainerRecord
    private let env: [String]
    private let stopped = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    init(settings: HealthSettings, runner: ContainerRunner, containers: ContainerStore, record: ContainerRecord, env: [String]) {
        self.settings = settings
        self.runner = runner
        self.containers = containers
        self.record = record
        self.env = env
    }

    func start(user: UserSpec) {
        containers.update(record.id) { $0.health = "starting" }
        let thread = Thread { self.loop(user: user) }
        thread.start()
    }

    /// Ends the checks; returns once the last one has been recorded.
    func stop() {
        stopped.signal()
        finished.wait()
    }

    private func loop(user: UserSpec) {
        let interval = settings.interval > 0 ? settings.interval : 30
        let timeout = settings.timeout > 0 ? settings.timeout : 30
        let retries = settings.retries > 0 ? settings.retries : 3
        let began = Date()
        var failures = 0
        defer { finished.signal() }
        while stopped.wait(timeout: .now() + interval) == .timedOut {
            let process = ExecProcess(args: settings.argv, env: env, cwd: record.workingDir.isEmpty ? "/" : record.workingDir,
                                      user: user, terminal: false)
            let pid = PIDBox()
            let watchdog = DispatchWorkItem { if pid.value > 0 { kill(pid.value, SIGKILL) } }
            let status = (try? runner.exec(record.id, process) { started in
                pid.value = started
                DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
            }) ?? 1
            watchdog.cancel()
            if status == 0 {
                failures = 0
                containers.update(record.id) { $0.health = "healthy" }
            } else if Date().timeIntervalSince(began) >= settings.startPeriod {
                failures += 1
                if failures >= retries { containers.update(record.id) { $0.health = "unhealthy" } }
            }
        }
    }
}

private final class PIDBox: @unchecked Sendable {
    var value: Int32 = 0
}
