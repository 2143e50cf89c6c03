import Builder
import Foundation

/// `--progress tty` (and `auto` on a terminal): the build drawn in place, like BuildKit's terminal view.
///
///     [+] Building 4.2s (3/5)
///      => CACHED [1/4] FROM busybox                                     0.0s
///      => [2/4] RUN ./configure && make                                 3.1s
///      => => # checking for gcc... gcc
///      => => # CC main.o
///      => => sha256:3f4e… 1.20MB / 3.40MB [=======>             ]     0.3s
///
/// Steps are listed as they start, each with a running timer; a finished step collapses to one line
/// (`CACHED`, its time, or `ERROR`) with its status lines (`=> => naming to …`); a running step
/// also shows its last ``logLines`` output lines, and transfers show progress bars. The frame is redrawn ten times a second and fits the terminal
/// (the oldest finished steps leave the view first); the last frame, drawn by ``finish()``, lists
/// every step and ends with `FINISHED` (or `ERROR`) in the header. Failed steps keep their output.
final class TerminalProgressView: BuildProgressDisplay, @unchecked Sendable {
    struct Step {
        var number: Int
        var title: String
        var started: Date
        var ended: Date?
        var cached = false
        var error: String?
        /// Output lines as a terminal would show them (after `\r`), the last ones only.
        var lines: [String] = []
        var partial = ""
        /// A `\r` came: the next text starts the line over.
        var returned = false
        var statuses: [BuildStatus] = []
    }

    static let logLines = 6
    private let lock = NSLock()
    private let write: (String) -> Void
    private let size: () -> (columns: Int, rows: Int)
    private let started = Date()
    private var steps: [Step] = []
    private var drawn = 0
    private var timer: DispatchSourceTimer?
    private var finished = false

    init(write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) },
         size: @escaping () -> (columns: Int, rows: Int) = TerminalProgressView.terminalSize) {
        self.write = write
        self.size = size
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "kiln.progress"))
        timer.schedule(deadline: .now(), repeating: .milliseconds(100))
        timer.setEventHandler { [weak self] in self?.redraw() }
        timer.resume()
        self.timer = timer
    }

    /// The size of the terminal on standard error (80×24 when unknown).
    static func terminalSize() -> (columns: Int, rows: Int) {
        var size = winsize()
        guard ioctl(2, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return (80, 24) }
        return (Int(size.ws_col), Int(max(size.ws_row, 5)))
    }

    func handle(_ event: BuildEvent) {
        lock.lock(); defer { lock.unlock() }
        switch event {
        case .started(let n, let title, let at):
            steps.append(Step(number: n, title: title, started: at))
        case .cached(let n, let at):
            update(n) { $0.ended = at; $0.cached = true }
        case .completed(let n, let at):
            update(n) { $0.ended = at }
        case .failed(let n, let error, let at):
            update(n) { $0.ended = at; $0.error = error }
        case .log(let n, let data, _):
            update(n) { Self.append(data, to: &$0) }
        case .status(let n, let status):
            update(n) { step in
                if let i = step.statuses.firstIndex(where: { $0.id == status.id }) {
                    step.statuses[i] = status
                } else {
                    step.statuses.append(status)
                }
            }
        case .message:
            break
        }
    }

    func finish() {
        timer?.cancel()
        timer = nil
        lock.lock(); defer { lock.unlock() }
        guard !finished else { return }
        finished = true
        draw(frame(now: Date(), final: true), final: true)
    }

    private func update(_ n: Int, _ change: (inout Step) -> Void) {
        guard let i = steps.lastIndex(where: { $0.number == n }) else { return }
        change(&steps[i])
    }

    /// Adds output to a step's visible lines: `\n` ends a line, text after a `\r` starts it over (as
    /// a terminal shows a progress bar; `\r\n` is a plain line end), other control characters are
    /// dropped, tabs become spaces.
    static func append(_ data: [UInt8], to step: inout Step) {
        let text = String(decoding: data, as: UTF8.self)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n":
                step.lines.append(step.partial)
                step.partial = ""
                step.returned = false
                if step.lines.count > logLines { step.lines.removeFirst(step.lines.count - logLines) }
            case "\r":
                step.returned = true
            default:
                guard scalar == "\t" || (scalar.value >= 0x20 && scalar.value != 0x7F) else { continue }
                // Text after a carriage return writes the line over.
                if step.returned { step.partial = ""; step.returned = false }
                step.partial.unicodeScalars.append(scalar == "\t" ? " " : scalar)
            }
        }
    }

    private func redraw() {
        lock.lock(); defer { lock.unlock() }
        guard !finished else { return }
        draw(frame(now: Date(), final: false), final: false)
    }

    /// Rewrites the previous frame with `lines`.
    private func draw(_ lines: [String], final: Bool) {
        var text = drawn > 0 ? "\u{1B}[\(drawn)A\r" : ""
        for line in lines { text += "\u{1B}[2K" + line + "\n" }
        text += "\u{1B}[J"
        drawn = final ? 0 : lines.count
        write(text)
    }

    // MARK: - the frame

    /// The lines of one frame (`final`: every step, no height limit).
    func frame(now: Date, final: Bool) -> [String] {
        let (columns, rows) = size()
        let width = max(columns, 40)
        let done = steps.filter { $0.ended != nil }.count
        var header = String(format: "[+] Building %.1fs (%d/%d)", now.timeIntervalSince(started), done, steps.count)
        if final { header += steps.contains { $0.error != nil } ? " ERROR" : " FINISHED" }
        var blocks: [[String]] = steps.map { block($0, now: now, width: width, final: final) }
        if !final {
            // Fit the terminal: drop the oldest finished steps first, then the oldest running ones.
            var total = blocks.reduce(1) { $0 + $1.count }
            var i = 0
            while total > rows - 1, i < blocks.count {
                if steps[i].ended != nil { total -= blocks[i].count; blocks[i] = [] }
                i += 1
            }
            i = 0
            while total > rows - 1, i < blocks.count {
                total -= blocks[i].count; blocks[i] = []
                i += 1
            }
        }
        return [header] + blocks.flatMap { $0 }
    }

    private func block(_ step: Step, now: Date, width: Int, final: Bool) -> [String] {
        let seconds = (step.ended ?? now).timeIntervalSince(step.started)
        var name = step.title
        if step.cached { name = "CACHED " + name }
        if step.error != nil { name = "ERROR " + name }
        var lines = [Self.row(" => " + name, time: String(format: "%.1fs", seconds), width: width)]
        for status in step.statuses {
            lines.append(Self.statusRow(status, now: now, width: width))
        }
        if step.ended == nil || step.error != nil {
            var output = step.lines
            if !step.partial.isEmpty { output.append(step.partial) }
            for line in output.suffix(Self.logLines) {
                lines.append(Self.clip(" => => # " + line, width))
            }
        }
        if let error = step.error, final {
            lines.append(Self.clip(" => => ERROR: " + error, width))
        }
        return lines
    }

    /// `text`, then `time` right-aligned in the last column.
    static func row(_ text: String, time: String, width: Int) -> String {
        let room = width - time.count - 1
        let left = clip(text, room)
        return left + String(repeating: " ", count: max(1, width - left.count - time.count)) + time
    }

    static func statusRow(_ status: BuildStatus, now: Date, width: Int) -> String {
        let end = status.completed ?? now
        let time = String(format: "%.1fs", end.timeIntervalSince(status.started))
        let id = status.id.hasPrefix("sha256:") ? String(status.id.prefix(19)) : status.id
        var text = " => => " + id
        if status.total > 0 {
            text += " \(PlainProgressWriter.bytes(status.current)) / \(PlainProgressWriter.bytes(status.total))"
            if status.completed == nil {
                let fraction = min(1, Double(status.current) / Double(status.total))
                let bar = 20
                let filled = Int(fraction * Double(bar))
                text += " [" + String(repeating: "=", count: filled) + (filled < bar ? ">" + String(repeating: " ", count: bar - filled - 1) : "") + "]"
            }
        }
        return row(text, time: time, width: width)
    }

    /// At most `width` characters (the end marked with `...` when cut).
    static func clip(_ text: String, _ width: Int) -> String {
        guard text.count > width else { return text }
        return String(text.prefix(max(0, width - 3))) + "..."
    }
}
