import Foundation

/// `--progress plain`: the build log as BuildKit's plain printer writes it.
///
/// - a step's block starts with `#N title`; blocks are separated by an empty line; when another step
///   interrupts a running one, the running one's block ends with `#N ...` and its title is printed
///   again when it continues;
/// - output lines are `#N <seconds since the step started> <text>`; only `\n` ends a line, so `\r\n`
///   keeps its `\r` (a terminal shows nothing of it) and a bare `\r` (progress bars) stays inside
///   the line; a write that ends mid-line is printed at once and the next write continues that line;
/// - the seconds have 3 decimals below 10 s, 2 below 100 s, else 1;
/// - a step ends with `#N CACHED`, `#N DONE 1.2s` or `#N ERROR: message`;
/// - status lines (layer transfers): `#N <id> 1.20MB / 3.40MB 0.3s`, when 5% more is done or 5 s
///   passed (and at most every 100 ms), and a last one ending with `done`.
///
/// Unlike BuildKit, a step's last output line is ended with a newline before `#N DONE` when the
/// process did not end it.
public final class PlainProgressWriter: BuildProgressDisplay, @unchecked Sendable {
    private struct Step {
        var title: String
        var started: Date
        /// The unfinished last output line (prefix included), printed already.
        var partial: [UInt8]? = nil
        var lastStatus: [String: (current: Int64, at: Date)] = [:]
    }

    private let lock = NSLock()
    private let write: ([UInt8]) -> Void
    private var steps: [Int: Step] = [:]
    private var current: Int?
    private var first = true
    private var recorded: [String] = []
    private var recordedPartial: [UInt8] = []

    public init(write: @escaping ([UInt8]) -> Void) {
        self.write = write
    }

    /// Writes to standard error.
    public static func standardError() -> PlainProgressWriter {
        PlainProgressWriter(write: { bytes in FileHandle.standardError.write(Data(bytes)) })
    }

    /// Every complete line written so far (without its newline).
    public var lines: [String] {
        lock.lock(); defer { lock.unlock() }
        return recorded
    }

    public func finish() {}

    public func handle(_ event: BuildEvent) {
        lock.lock(); defer { lock.unlock() }
        switch event {
        case .started(let n, let title, let at):
            steps[n] = Step(title: title, started: at)
            switchTo(n)
        case .cached(let n, _):
            switchTo(n)
            endPartial(n)
            emitLine("#\(n) CACHED")
            current = nil
        case .completed(let n, let at):
            switchTo(n)
            endPartial(n)
            let seconds = steps[n].map { at.timeIntervalSince($0.started) } ?? 0
            emitLine(String(format: "#%d DONE %.1fs", n, seconds))
            current = nil
        case .failed(let n, let error, _):
            switchTo(n)
            endPartial(n)
            emitLine("#\(n) ERROR: \(error)")
            current = nil
        case .log(let n, let data, let at):
            switchTo(n)
            log(n, data, at: at)
        case .status(let n, let status):
            statusLine(n, status)
        case .message(let text):
            if let c = current { leave(c) }
            emitLine(text)
        }
    }

    // MARK: - steps

    private func switchTo(_ n: Int) {
        guard current != n else { return }
        if let c = current { leave(c) }
        if !first { emitLine("") }
        first = false
        emitLine("#\(n) \(steps[n]?.title ?? "")")
        current = n
        // An unfinished line is shown again in full, as BuildKit does.
        if let partial = steps[n]?.partial { emit(partial) }
    }

    /// Another step takes over while `n` still runs.
    private func leave(_ n: Int) {
        if steps[n]?.partial != nil { emit([0x0A]) }
        emitLine("#\(n) ...")
        current = nil
    }

    private func endPartial(_ n: Int) {
        guard steps[n]?.partial != nil else { return }
        emit([0x0A])
        steps[n]?.partial = nil
    }

    private func log(_ n: Int, _ data: [UInt8], at: Date) {
        guard var step = steps[n] else { return }
        var rest = data[...]
        while !rest.isEmpty {
            let newline = rest.firstIndex(of: 0x0A)
            let piece = rest[..<(newline ?? rest.endIndex)]
            if step.partial == nil {
                let prefix = Array("#\(n) \(Self.seconds(at.timeIntervalSince(step.started))) ".utf8)
                step.partial = prefix
                emit(prefix)
            }
            step.partial! += piece
            emit(Array(piece))
            if let newline {
                emit([0x0A])
                step.partial = nil
                rest = rest[(newline + 1)...]
            } else {
                rest = rest[rest.endIndex...]
            }
        }
        steps[n] = step
    }

    private func statusLine(_ n: Int, _ status: BuildStatus) {
        guard steps[n] != nil else { return }
        if status.completed == nil, let last = steps[n]?.lastStatus[status.id] {
            let delta = status.total > 0 ? Double(status.current - last.current) / Double(status.total) : 0
            let interval = status.timestamp.timeIntervalSince(last.at)
            if delta < 0.05 && interval < 5 { return }
            // BuildKit's sources report a transfer at most every 100 ms; kiln's report every chunk.
            if interval < 0.1 { return }
        }
        steps[n]?.lastStatus[status.id] = (status.current, status.timestamp)
        switchTo(n)
        var text = "#\(n) \(status.id)"
        if status.total != 0 {
            text += " \(Self.bytes(status.current)) / \(Self.bytes(status.total))"
        } else if status.current != 0 {
            text += " \(Self.bytes(status.current))"
        }
        let end = status.completed ?? status.timestamp
        let elapsed = end.timeIntervalSince(status.started)
        if elapsed > 0.01 { text += String(format: " %.1fs", elapsed) }
        if status.completed != nil { text += " done" }
        emitLine(text)
    }

    // MARK: - formatting

    /// Seconds since a step started, as BuildKit prints them before an output line.
    public static func seconds(_ value: Double) -> String {
        let precision = value < 10 ? 3 : value < 100 ? 2 : 1
        return String(format: "%.\(precision)f", max(0, value))
    }

    /// Decimal sizes as BuildKit's status lines show them (`1.20MB`, `512B`).
    public static func bytes(_ value: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var size = Double(value)
        var unit = 0
        while size >= 1000, unit < units.count - 1 { size /= 1000; unit += 1 }
        return unit == 0 ? "\(value)B" : String(format: "%.2f", size) + units[unit]
    }

    // MARK: - output

    private func emitLine(_ text: String) {
        emit(Array(text.utf8) + [0x0A])
    }

    private func emit(_ bytes: [UInt8]) {
        write(bytes)
        var rest = bytes[...]
        while let newline = rest.firstIndex(of: 0x0A) {
            recordedPartial += rest[..<newline]
            recorded.append(String(decoding: recordedPartial, as: UTF8.self))
            recordedPartial = []
            rest = rest[(newline + 1)...]
        }
        recordedPartial += rest
    }
}
