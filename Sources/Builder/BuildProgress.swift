import Foundation
import Images

/// One thing that happened during a build, as BuildKit's status stream tells it: steps (vertices)
/// starting and ending, their output, and progress of work inside a step (layer transfers).
public enum BuildEvent: Sendable {
    case started(step: Int, title: String, at: Date)
    case cached(step: Int, at: Date)
    case completed(step: Int, at: Date)
    case failed(step: Int, error: String, at: Date)
    /// Output bytes of a running step, exactly as the process wrote them (lines may be split anywhere).
    case log(step: Int, data: [UInt8], at: Date)
    case status(step: Int, BuildStatus)
    /// A line that belongs to no step.
    case message(String)
}

/// Progress of one piece of work inside a step (BuildKit's vertex status), e.g. a layer download.
public struct BuildStatus: Sendable, Equatable {
    public var id: String
    public var current: Int64
    public var total: Int64
    public var started: Date
    public var completed: Date?
    public var timestamp: Date

    public init(id: String, current: Int64 = 0, total: Int64 = 0, started: Date, completed: Date? = nil, timestamp: Date = Date()) {
        self.id = id
        self.current = current
        self.total = total
        self.started = started
        self.completed = completed
        self.timestamp = timestamp
    }
}

/// Shows build events: the plain log, the terminal view, the JSON stream.
public protocol BuildProgressDisplay: AnyObject, Sendable {
    func handle(_ event: BuildEvent)
    /// The build ended: draw the last state (the terminal view stops redrawing).
    func finish()
}

/// Where the build reports its steps. Numbers steps (`#N`), remembers when each started, and passes
/// every event to the display (plain text on stderr by default, nothing in quiet mode). The plain
/// text is also kept as ``lines`` for callers and tests, whatever the display.
public final class BuildProgress: @unchecked Sendable {
    public enum Mode: Sendable { case plain, quiet }
    private let lock = NSLock()
    private var counter = 0
    private let started = Date()
    private var running: [Int: Date] = [:]
    private var transfers: [String: BuildStatus] = [:]
    private let display: BuildProgressDisplay?
    private let recorder = PlainProgressWriter(write: { _ in })

    /// Every complete plain-log line so far (also in quiet mode), for callers and tests.
    public var lines: [String] { recorder.lines }

    public convenience init(mode: Mode) {
        self.init(display: mode == .plain ? PlainProgressWriter.standardError() : nil)
    }

    public init(display: BuildProgressDisplay?) {
        self.display = display
    }

    /// Starts step `#N` with `title`; returns N.
    public func begin(_ title: String) -> Int {
        let now = Date()
        lock.lock(); counter += 1; let n = counter; running[n] = now; lock.unlock()
        send(.started(step: n, title: title, at: now))
        return n
    }

    public func cached(_ n: Int) { end(n); send(.cached(step: n, at: Date())) }

    public func done(_ n: Int, since start: Date? = nil) { end(n); send(.completed(step: n, at: Date())) }

    /// Output of a running step, as written.
    public func output(_ n: Int, _ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        send(.log(step: n, data: bytes, at: Date()))
    }

    func output(_ n: Int, _ text: String) { output(n, Array(text.utf8)) }

    public func status(_ n: Int, _ status: BuildStatus) { send(.status(step: n, status)) }

    func note(_ text: String) { send(.message(text)) }

    /// Marks every step still running as failed with `message` (the build stopped with an error).
    public func failRunning(_ message: String) {
        lock.lock(); let open = running.keys.sorted(); running.removeAll(); lock.unlock()
        for n in open { send(.failed(step: n, error: message, at: Date())) }
    }

    /// The build is over: lets the display draw its last state.
    public func finish() { display?.finish() }

    /// Seconds since the build started.
    public var totalSeconds: Double { Date().timeIntervalSince(started) }

    private func end(_ n: Int) { lock.lock(); running[n] = nil; lock.unlock() }

    fileprivate func send(_ event: BuildEvent) {
        recorder.handle(event)
        display?.handle(event)
    }
}

/// Layer transfers (the pulls of FROM, `--push`) become status lines of the step that runs them
/// (``BuildProgress/currentStep`` in that task, else the last step started).
extension BuildProgress: TransferProgress {
    /// The step a transfer in this task belongs to.
    @TaskLocal public static var currentStep: Int?

    public func report(_ event: TransferEvent) {
        let now = Date()
        lock.lock()
        let step = Self.currentStep ?? counter
        var status: BuildStatus?
        switch event {
        case .started(let digest, let size):
            status = BuildStatus(id: digest.description, total: size, started: now, timestamp: now)
        case .advanced(let digest, let bytes):
            if var s = transfers[digest.description] {
                s.current += bytes
                s.timestamp = now
                status = s
            }
        case .finished(let digest, _):
            if var s = transfers[digest.description] {
                s.current = max(s.current, s.total)
                s.completed = now
                s.timestamp = now
                status = s
            }
        case .message:
            break
        }
        if let status { transfers[status.id] = status }
        lock.unlock()
        if let status, step > 0 { send(.status(step: step, status)) }
    }
}
