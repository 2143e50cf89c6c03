import Foundation
import ImageSpec

/// `--progress rawjson`: BuildKit's status stream for tools, one JSON object per line, each a
/// `SolveStatus` with the keys BuildKit's client writes:
///
///     {"vertexes":[{"digest":"sha256:…","name":"[1/2] FROM busybox","started":"…","completed":"…","cached":true}]}
///     {"statuses":[{"id":"sha256:…","vertex":"sha256:…","current":512,"total":1024,"timestamp":"…","started":"…"}]}
///     {"logs":[{"vertex":"sha256:…","stream":1,"data":"<base64>","timestamp":"…"}]}
///
/// kiln has no LLB graph: a step's digest is the SHA-256 of its number and title, and `inputs` is
/// left out. Times are RFC 3339 with nanoseconds, in UTC.
public final class RawJSONProgressWriter: BuildProgressDisplay, @unchecked Sendable {
    private struct Vertex {
        var digest: String
        var name: String
        var started: Date
    }

    private let lock = NSLock()
    private let write: ([UInt8]) -> Void
    private var vertexes: [Int: Vertex] = [:]

    public init(write: @escaping ([UInt8]) -> Void) {
        self.write = write
    }

    public static func standardError() -> RawJSONProgressWriter {
        RawJSONProgressWriter(write: { bytes in FileHandle.standardError.write(Data(bytes)) })
    }

    public func finish() {}

    public func handle(_ event: BuildEvent) {
        lock.lock(); defer { lock.unlock() }
        switch event {
        case .started(let n, let title, let at):
            let digest = Digest.sha256(of: Data("kiln-step \(n) \(title)".utf8)).description
            vertexes[n] = Vertex(digest: digest, name: title, started: at)
            emit(["vertexes": .array([vertex(n)])])
        case .cached(let n, let at):
            emit(["vertexes": .array([vertex(n, completed: at, cached: true)])])
        case .completed(let n, let at):
            emit(["vertexes": .array([vertex(n, completed: at)])])
        case .failed(let n, let error, let at):
            emit(["vertexes": .array([vertex(n, completed: at, error: error)])])
        case .log(let n, let data, let at):
            guard let v = vertexes[n] else { return }
            emit(["logs": .array([.object([
                ("vertex", .string(v.digest)), ("stream", .number(1)),
                ("data", .string(Data(data).base64EncodedString())), ("timestamp", .string(Self.time(at))),
            ])])])
        case .status(let n, let status):
            guard let v = vertexes[n] else { return }
            var fields: [(String, JSONLine)] = [("id", .string(status.id)), ("vertex", .string(v.digest))]
            if status.total != 0 { fields.append(("total", .number(status.total))) }
            fields.append(("current", .number(status.current)))
            fields.append(("timestamp", .string(Self.time(status.timestamp))))
            fields.append(("started", .string(Self.time(status.started))))
            if let completed = status.completed { fields.append(("completed", .string(Self.time(completed)))) }
            emit(["statuses": .array([.object(fields)])])
        case .message:
            break
        }
    }

    private func vertex(_ n: Int, completed: Date? = nil, cached: Bool = false, error: String? = nil) -> JSONLine {
        guard let v = vertexes[n] else { return .object([]) }
        var fields: [(String, JSONLine)] = [("digest", .string(v.digest)), ("name", .string(v.name)),
                                            ("started", .string(Self.time(v.started)))]
        if let completed { fields.append(("completed", .string(Self.time(completed)))) }
        if cached { fields.append(("cached", .bool(true))) }
        if let error { fields.append(("error", .string(error))) }
        return .object(fields)
    }

    private func emit(_ top: KeyValuePairs<String, JSONLine>) {
        let object = JSONLine.object(top.map { ($0.key, $0.value) })
        write(Array((object.text + "\n").utf8))
    }

    /// RFC 3339 with nanoseconds, UTC (Go's `time.RFC3339Nano`, trailing zeros dropped).
    static func time(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        var whole = Int64(seconds.rounded(.down))
        var nanos = Int64(((seconds - Double(whole)) * 1e9).rounded())
        if nanos >= 1_000_000_000 { whole += 1; nanos -= 1_000_000_000 }
        var t = time_t(whole)
        var parts = tm()
        gmtime_r(&t, &parts)
        var text = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                          Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
        if nanos > 0 {
            var fraction = String(format: "%09lld", nanos)
            while fraction.hasSuffix("0") { fraction.removeLast() }
            text += "." + fraction
        }
        return text + "Z"
    }
}

/// A JSON value written in the order given (BuildKit's field order).
indirect enum JSONLine {
    case string(String)
    case number(Int64)
    case bool(Bool)
    case array([JSONLine])
    case object([(String, JSONLine)])

    var text: String {
        switch self {
        case .string(let s): return Self.quote(s)
        case .number(let n): return String(n)
        case .bool(let b): return b ? "true" : "false"
        case .array(let items): return "[" + items.map(\.text).joined(separator: ",") + "]"
        case .object(let fields): return "{" + fields.map { Self.quote($0.0) + ":" + $0.1.text }.joined(separator: ",") + "}"
        }
    }

    /// Go's `encoding/json` string, as BuildKit's client writes it.
    static func quote(_ s: String) -> String { GoJSONString.quote(s) }
}
