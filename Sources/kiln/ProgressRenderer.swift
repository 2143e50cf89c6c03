import Foundation
import ImageSpec
import Images
import Synchronization

/// Draws pull/push progress as Docker does, on standard error: on a terminal one line per layer
/// rewritten in place (`a3ed95caeb02: Downloading  1.2MB/3.4MB  5.6MB/s`), otherwise one line per
/// event (`a3ed95caeb02: Pull complete`).
final class ProgressRenderer: TransferProgress {
    enum Mode { case pull, push }

    struct Layer {
        var digest: Digest
        var size: Int64
        var done: Int64 = 0
        var status: String
        var started: Date?
    }

    struct State {
        var layers: [Layer] = []
        var drawn = 0
        var lastDraw = Date.distantPast
    }

    let mode: Mode
    let terminal: Bool
    private let state = Mutex(State())

    init(mode: Mode, terminal: Bool = stderrIsTerminal) {
        self.mode = mode
        self.terminal = terminal
    }

    static func short(_ digest: Digest) -> String { String(digest.hex.prefix(12)) }

    func report(_ event: TransferEvent) {
        state.withLock { state in
            switch event {
            case .message(let text):
                clear(&state)
                emit(text)
                state.layers.removeAll()
                state.drawn = 0
            case .started(let digest, let size):
                let status = mode == .pull ? "Pulling fs layer" : "Preparing"
                state.layers.append(Layer(digest: digest, size: size, status: status))
                if terminal { redraw(&state) } else { emit("\(Self.short(digest)): \(status)") }
            case .advanced(let digest, let bytes):
                guard let i = state.layers.firstIndex(where: { $0.digest == digest }) else { return }
                if state.layers[i].started == nil { state.layers[i].started = Date() }
                state.layers[i].done += bytes
                let layer = state.layers[i]
                let verb = mode == .pull ? "Downloading" : "Pushing"
                var text = "\(verb)  \(HumanUnits.size4(layer.done))/\(HumanUnits.size4(layer.size))"
                if let start = layer.started, Date().timeIntervalSince(start) > 0.2 {
                    let rate = Double(layer.done) / Date().timeIntervalSince(start)
                    text += "  \(HumanUnits.size4(Int64(rate)))/s"
                }
                state.layers[i].status = text
                if terminal, Date().timeIntervalSince(state.lastDraw) > 0.1 { redraw(&state) }
            case .finished(let digest, let outcome):
                let status: String
                switch outcome {
                case .downloaded: status = "Pull complete"
                case .alreadyExists: status = mode == .pull ? "Already exists" : "Layer already exists"
                case .pushed: status = "Pushed"
                case .mounted(let from): status = "Mounted from \(from)"
                case .skipped: status = "Skipped foreign layer"
                }
                if let i = state.layers.firstIndex(where: { $0.digest == digest }) { state.layers[i].status = status }
                if terminal { redraw(&state) } else { emit("\(Self.short(digest)): \(status)") }
            }
        }
    }

    /// Moves the cursor up over the drawn block and rewrites every layer line.
    private func redraw(_ state: inout State) {
        var text = state.drawn > 0 ? "\u{1B}[\(state.drawn)A" : ""
        for layer in state.layers {
            text += "\u{1B}[2K\(Self.short(layer.digest)): \(layer.status)\n"
        }
        state.drawn = state.layers.count
        state.lastDraw = Date()
        FileHandle.standardError.write(Data(text.utf8))
    }

    private func clear(_ state: inout State) {
        if terminal, state.drawn > 0 { redraw(&state) }
    }

    private func emit(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Draws the final state of every line (call before printing the summary).
    func finish() {
        state.withLock { state in
            if terminal, !state.layers.isEmpty { redraw(&state) }
        }
    }
}
