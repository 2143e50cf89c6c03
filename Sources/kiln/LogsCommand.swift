import ArgumentParser
import Containers
import Foundation

/// `kiln logs [-f] [-t] [-n N|--tail N] [--since T] [--until T] CONTAINER`, as `docker logs`:
/// stdout lines to stdout, stderr lines to stderr, from the container's json-file log. `--since`
/// and `--until` take what Docker takes: a Go duration before now (`10m`, `1h30m`), an RFC 3339
/// date-time (`2024-01-02T15:04:05Z`, seconds, zone and fraction optional; a date alone), or Unix
/// seconds (`1700000000.5`). `--tail` keeps the last N lines of what the times select.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Fetch the logs of a container")

    @OptionGroup var store: StoreOptions
    @Flag(name: .shortAndLong, help: "Follow log output")
    var follow = false
    @Flag(name: .shortAndLong, help: "Show timestamps")
    var timestamps = false
    @Option(name: [.customShort("n"), .customLong("tail")], help: ArgumentHelp("Number of lines to show from the end of the logs", valueName: "string"))
    var tail = "all"
    @Option(help: ArgumentHelp("Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)", valueName: "string"))
    var since: String?
    @Option(help: ArgumentHelp("Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)", valueName: "string"))
    var until: String?
    @Argument var container: String

    func run() async throws {
        let now = Date()
        let sinceDate = try since.map { try Self.timestamp($0, now: now, flag: "since") }
        let untilDate = try until.map { try Self.timestamp($0, now: now, flag: "until") }
        var tailCount: Int?
        if tail != "all", !tail.isEmpty {
            guard let n = Int(tail) else {
                printError("kiln: error: invalid value for --tail: \(tail) (a number of lines, or all)")
                throw ExitCode(1)
            }
            if n >= 0 { tailCount = n }
        }
        let context = try ContainerContext(store)
        let record = try context.find(container)
        ContainerLogReader(containers: context.containers, id: record.id)
            .read(since: sinceDate, until: untilDate, tail: tailCount, follow: follow, emit: emit)
    }

    private func emit(_ entry: ContainerLogEntry) {
        let text = timestamps ? entry.time + " " + entry.log : entry.log
        writeAll(entry.stream == "stderr" ? 2 : 1, Array(text.utf8))
    }

    /// Docker's `--since`/`--until` value: a duration before `now`, a date-time, or Unix seconds.
    static func timestamp(_ text: String, now: Date, flag: String) throws -> Date {
        if let duration = GoDuration.seconds(text) { return now.addingTimeInterval(-duration) }
        if text.range(of: #"^[0-9]+(\.[0-9]+)?$"#, options: .regularExpression) != nil, let seconds = Double(text) {
            return Date(timeIntervalSince1970: seconds)
        }
        var value = text
        if value.range(of: #"^\d{4}-\d{2}-\d{2}$"#, options: .regularExpression) != nil { value += "T00:00:00" }
        if value.range(of: #"T\d{2}:\d{2}$"#, options: .regularExpression) != nil { value += ":00" }
        let zoned = value.hasSuffix("Z") || value.range(of: #"[+-]\d{2}:?\d{2}$"#, options: .regularExpression) != nil
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone.current
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime]] {
            formatter.formatOptions = zoned ? options : options.subtracting(.withTimeZone)
            if let date = formatter.date(from: value) { return date }
        }
        printError("kiln: error: invalid value for --\(flag): \(text) (a duration like 10m, an RFC 3339 time, or Unix seconds)")
        throw ExitCode(1)
    }
}

/// Go's `time.ParseDuration` for non-negative durations: `1h30m`, `42s`, `1.5m`, `300ms`.
enum GoDuration {
    static let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600)]

    static func seconds(_ text: String) -> Double? {
        var rest = Substring(text)
        guard !rest.isEmpty else { return nil }
        if rest == "0" { return 0 }
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unitText = rest.prefix { !$0.isNumber && $0 != "." }
            guard let unit = units.first(where: { $0.0 == unitText }) else { return nil }
            rest = rest.dropFirst(unitText.count)
            total += value * unit.1
        }
        return total
    }
}
