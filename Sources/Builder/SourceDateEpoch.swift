import Foundation
import ImageSpec

/// `SOURCE_DATE_EPOCH` (reproducible builds, https://reproducible-builds.org/specs/source-date-epoch/),
/// as BuildKit's Dockerfile frontend (v0.11+) and Buildx take it.
extension BuildOptions {
    static let sourceDateEpochArg = "SOURCE_DATE_EPOCH"

    /// Buildx (>= 0.10, `commands/build.go`) copies a non-empty `SOURCE_DATE_EPOCH` from the client's
    /// environment into the build args only when no `--build-arg SOURCE_DATE_EPOCH` was given: the
    /// explicit build arg takes precedence.
    public mutating func adoptSourceDateEpoch(fromEnvironment environment: [String: String]) {
        guard let value = environment[Self.sourceDateEpochArg], !value.isEmpty,
              buildArgs[Self.sourceDateEpochArg] == nil else { return }
        buildArgs[Self.sourceDateEpochArg] = value
    }

    /// The build arg's value in seconds since 1970, nil when unset or empty (BuildKit's
    /// `exporter/util/epoch`: an empty value means none; anything but a decimal integer is an error).
    public func sourceDateEpoch() throws -> Int64? {
        guard let value = buildArgs[Self.sourceDateEpochArg], !value.isEmpty else { return nil }
        guard let seconds = Int64(value) else {
            throw BuildError("invalid SOURCE_DATE_EPOCH: \"\(value)\" is not a whole number of seconds since 1970-01-01T00:00:00Z")
        }
        return seconds
    }
}

extension ImageConfig {
    /// What BuildKit does with the epoch (docs/build-repro.md): the image's `created` becomes the
    /// epoch, and so does every history `created` later than it (entries this build made carry
    /// the epoch already; older base-image entries keep their time).
    mutating func applySourceDateEpoch(_ epoch: Int64) {
        let time = Timestamp(secondsSinceEpoch: epoch)
        created = time
        for i in history.indices {
            guard let created = history[i].created else { continue }
            if created.secondsSinceEpoch > epoch || (created.secondsSinceEpoch == epoch && created.nanoseconds > 0) {
                history[i].created = time
            }
        }
    }
}
