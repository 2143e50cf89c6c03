import Foundation

/// Where the build reports its steps. `plain` prints BuildKit-style lines on stderr.
public final class BuildProgress: @unchecked Sendable {
    public enum Mode: Sendable { case plain, quiet }
    public let mode: Mode
    private let lock = NSLock()
    private var counter = 0
    private let started = Date()
    private var recorded: [String] = []

    /// Every progress line so far (also in quiet mode), for callers and tests.
    public var lines: [String] {
        lock.lock(); defer { lock.unlock() }
        return recorded
    }

    public init(mode: Mode) { self.mode = mode }

    /// Starts step `#N` with `title`; returns N.
    func begin(_ title: String) -> Int {
        lock.lock(); counter += 1; let n = counter; lock.unlock()
        emit("#\(n) \(title)")
        return n
    }

    func cached(_ n: Int) { emit("#\(n) CACHED") }

    func done(_ n: Int, since start: Date) {
        emit(String(format: "#%d DONE %.1fs", n, Date().timeIntervalSince(start)))
    }

    /// Output of a running step, line by line.
    func output(_ n: Int, _ text: String) {
        let elapsed = Date().timeIntervalSince(started)
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
            emit(String(format: "#%d %.3f ", n, elapsed) + line)
        }
    }

    func note(_ text: String) { emit(text) }

    /// Seconds since the build started.
    public var totalSeconds: Double { Date().timeIntervalSince(started) }

    private func emit(_ line: String) {
        lock.lock(); recorded.append(line); lock.unlock()
        guard mode == .plain else { return }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
