import ArgumentParser
import Foundation

/// Docker's `--filter key=value` flags: values of one key match when any matches, different keys
/// must all match. Unknown keys fail with `kiln: error: invalid filter 'KEY'` (exit 1).
struct ListFilters {
    private(set) var values: [String: [String]] = [:]

    init(_ flags: [String], allowed: Set<String>) throws {
        for flag in flags {
            let parts = flag.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let key = parts[0].lowercased()
            guard parts.count == 2 else {
                printError("kiln: error: bad format of filter (expected name=value): \(flag)")
                throw ExitCode(1)
            }
            guard allowed.contains(key) else {
                printError("kiln: error: invalid filter '\(parts[0])'")
                throw ExitCode(1)
            }
            values[key, default: []].append(parts[1])
        }
    }

    func has(_ key: String) -> Bool { values[key] != nil }

    /// True when `key` is not filtered on, or `test` holds for one of its values.
    func match(_ key: String, _ test: (String) throws -> Bool) rethrows -> Bool {
        guard let wanted = values[key] else { return true }
        return try wanted.contains(where: test)
    }

    /// `label=KEY` or `label=KEY=VALUE` against a label set; every value must match (Docker ANDs labels).
    func matchLabels(_ labels: [String: String]) -> Bool {
        guard let wanted = values["label"] else { return true }
        return wanted.allSatisfy { filter in
            let parts = filter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard let value = labels[parts[0]] else { return false }
            return parts.count == 1 || value == parts[1]
        }
    }
}
