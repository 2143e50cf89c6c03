import Foundation

/// One line of a container's json-file log (what ContainerLog writes).
public struct ContainerLogEntry: Decodable, Sendable, Equatable {
    public var log: String
    /// "stdout" or "stderr".
    public var stream: String
    /// RFC 3339 with fractional seconds.
    public var time: String

    public init(log: String, stream: String, time: String) {
        self.log = log
        self.stream = stream
        self.time = time
    }
}

/// Reads a container's json-file log as `docker logs` does: the entries between `since` and
/// `until`, the last `tail` of them, then (with `follow`) new entries until the container stops or
/// `until` passes.
public struct ContainerLogReader {
    public let containers: ContainerStore
    public let id: String

    public init(containers: ContainerStore, id: String) {
        self.containers = containers
        self.id = id
    }

    public func read(since: Date?, until: Date?, tail: Int?, follow: Bool, emit: (ContainerLogEntry) -> Void) {
        let fd = open(containers.logFile(id).path, O_RDONLY | O_CLOEXEC)
        defer { if fd >= 0 { close(fd) } }
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        /// Reads what the log holds now; each complete line's entry, if selected, to `take`.
        func readAvailable(_ take: (ContainerLogEntry) -> Void) -> Int {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { return count }
            pending += buffer[0..<count]
            while let newline = pending.firstIndex(of: 10) {
                if let entry = Self.entry(Array(pending[..<newline])), Self.selected(entry, since: since, until: until) { take(entry) }
                pending.removeSubrange(...newline)
            }
            return count
        }
        // What is in the log now: filtered by time, then the tail of it.
        var existing: [ContainerLogEntry] = []
        while fd >= 0, readAvailable({ existing.append($0) }) > 0 {}
        if let tail { existing = Array(existing.suffix(tail)) }
        for entry in existing { emit(entry) }
        guard follow else { return }
        var lastPass = false
        while fd >= 0 {
            let count = readAvailable(emit)
            if count > 0 { continue }
            if let until, Date() > until { break }
            guard containers.state(id).status == "running" else {
                // One last read: the monitor may have written its final lines just now.
                if count == 0, !lastPass { lastPass = true; continue }
                break
            }
            usleep(100_000)
        }
    }

    static func entry(_ line: [UInt8]) -> ContainerLogEntry? {
        try? JSONDecoder().decode(ContainerLogEntry.self, from: Data(line))
    }

    public static func selected(_ entry: ContainerLogEntry, since: Date?, until: Date?) -> Bool {
        guard since != nil || until != nil else { return true }
        guard let time = logTime(entry.time) else { return true }
        if let since, time < since { return false }
        if let until, time > until { return false }
        return true
    }

    static func logTime(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}
