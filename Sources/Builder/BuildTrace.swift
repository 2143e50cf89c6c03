import Foundation
import ImageSpec

/// `kiln build --trace FILE`: where a build's time goes, as Chrome's trace event format (a JSON
/// array of complete events, `"ph":"X"`), which chrome://tracing, Perfetto and speedscope open.
///
/// Each event is one phase of one step — `resolve`, `cache-lookup`, `mount`, `container` (runtime
/// create/start, the process, runtime delete), `diff`, `commit` (layer written and stored),
/// `snapshot`, `snapshot-links` / `save-links` (a COPY's files matched against, and recorded for,
/// ``SnapshotLinks``), `plan` (COPY sources walked and hashed), `plan-memo` (a COPY's checksum taken from
/// ``CopyPlanMemo``), `context-scan` (the build context's walk, once), `image` (config and manifest) — with its
/// start (`ts`) and duration (`dur`) in microseconds from the start of the build, the step's
/// title in `args.step` (and, for some phases, `args.detail`: a COPY's `commit` says how much of the
/// earlier blob it reused), and the stage as the thread (`tid`), so parallel stages show side by side.
/// Recording is cheap and thread-safe; nothing is recorded without a file.
public final class BuildTrace: @unchecked Sendable {
    struct Event {
        var name: String, step: String, stage: Int, start: UInt64, duration: UInt64
        /// `args.detail`, when not empty (e.g. how much of a COPY layer's blob was resumed).
        var detail = ""
    }

    /// The stage index of the running task (the trace's thread id).
    @TaskLocal static var stage = 0

    private let lock = NSLock()
    private var events: [Event] = []
    private let origin = DispatchTime.now().uptimeNanoseconds
    /// Where the trace is written; nil: tracing is off.
    let path: String?

    public init(path: String?) { self.path = path }

    var isEnabled: Bool { path != nil }

    /// Runs `body` as phase `name` of `step`.
    func phase<T>(_ name: String, step: String, _ body: () async throws -> T) async rethrows -> T {
        guard isEnabled else { return try await body() }
        let start = DispatchTime.now().uptimeNanoseconds
        defer { record(name, step: step, start: start) }
        return try await body()
    }

    /// The synchronous form of ``phase(_:step:_:)``.
    func phaseSync<T>(_ name: String, step: String, _ body: () throws -> T) rethrows -> T {
        guard isEnabled else { return try body() }
        let start = DispatchTime.now().uptimeNanoseconds
        defer { record(name, step: step, start: start) }
        return try body()
    }

    /// Records a phase that started at `start` (`DispatchTime` uptime nanoseconds) and ends now.
    func record(_ name: String, step: String, start: UInt64, detail: String = "") {
        guard isEnabled else { return }
        let end = DispatchTime.now().uptimeNanoseconds
        let stage = Self.stage
        lock.withLock {
            events.append(Event(name: name, step: step, stage: stage, start: start &- origin, duration: end &- start, detail: detail))
        }
    }

    /// Writes the events (sorted by start) to the file. A failure to write is reported, not thrown:
    /// the build itself succeeded.
    func write() {
        guard let path else { return }
        let sorted = lock.withLock { events.sorted { $0.start < $1.start } }
        var out = "[\n"
        for (i, e) in sorted.enumerated() {
            out += #"{"name":\#(Self.quote(e.name)),"cat":"build","ph":"X","ts":\#(e.start / 1000),"dur":\#(e.duration / 1000),"pid":1,"tid":\#(e.stage),"args":{"step":\#(Self.quote(e.step))\#(e.detail.isEmpty ? "" : ",\"detail\":" + Self.quote(e.detail))}}"#
            out += i == sorted.count - 1 ? "\n" : ",\n"
        }
        out += "]\n"
        do {
            try Data(out.utf8).write(to: URL(fileURLWithPath: path))
        } catch {
            FileHandle.standardError.write(Data("kiln: cannot write the trace to \(path): \(error)\n".utf8))
        }
    }

    static func quote(_ text: String) -> String {
        GoJSONString.quote(text)
    }
}
