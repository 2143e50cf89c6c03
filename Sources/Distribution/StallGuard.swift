import Foundation

/// Detects a response body that stalls or trickles: within every window of
/// ``RegistryClient/Configuration/readTimeout`` the registry must send at least ``minimumBytes``
/// (or what is left of the body). A registry that sends its headers and then a byte a second
/// would otherwise hold a pull forever; a silent one is caught by the HTTP client's idle read
/// timeout, which is the same duration.
struct StallGuard {
    /// Bytes a window must bring (1 KiB: far below any working link, far above a drip).
    static let minimumBytes: Int64 = 1024

    let window: Duration
    private var windowStart = ContinuousClock.now
    private var windowBytes: Int64 = 0

    init(window: Duration) {
        self.window = window
    }

    /// Records `count` bytes just received, `remaining` more expected (nil: unknown). Throws
    /// ``RegistryError`` (`transport`) naming `what` when the window closed with too few bytes.
    mutating func record(_ count: Int, remaining: Int64?, what: String) throws {
        windowBytes += Int64(count)
        let now = ContinuousClock.now
        guard now - windowStart >= window else { return }
        let needed = min(Self.minimumBytes, (remaining ?? Self.minimumBytes) + windowBytes)
        if windowBytes < needed {
            throw RegistryError(.transport, "\(what): the registry sent only \(windowBytes) bytes in \(now - windowStart) (less than \(Self.minimumBytes) bytes per \(window), the read timeout; set KILN_REGISTRY_READ_TIMEOUT to wait longer)")
        }
        windowStart = now
        windowBytes = 0
    }

    /// The read timeout from `KILN_REGISTRY_READ_TIMEOUT` (seconds, fractions allowed), else 60 s.
    static func readTimeout(environment: [String: String] = ProcessInfo.processInfo.environment) -> Duration {
        if let text = environment["KILN_REGISTRY_READ_TIMEOUT"], let seconds = Double(text), seconds > 0, seconds < 1e6 {
            return .milliseconds(Int64(seconds * 1000))
        }
        return .seconds(60)
    }
}

extension Duration {
    /// The duration in whole nanoseconds (for NIO's `TimeAmount`).
    var nanosecondsRounded: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
