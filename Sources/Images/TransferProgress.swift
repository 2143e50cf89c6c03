import Foundation
import ImageSpec

/// How a blob transfer ended.
public enum TransferOutcome: Sendable, Hashable {
    /// Pulled from the registry.
    case downloaded
    /// Already present where it was going (local store on pull, registry on push).
    case alreadyExists
    /// Uploaded to the registry.
    case pushed
    /// Mounted into the repository from another repository of the same registry.
    case mounted(from: String)
    /// Not transferred (e.g. a foreign layer that is never pushed).
    case skipped
}

/// One event of a pull or push. Blob events are sent for layers only (Docker shows no line for configs).
public enum TransferEvent: Sendable, Equatable {
    /// A layer transfer is about to happen (`size` bytes). Sent before `finished` even for layers
    /// that turn out to exist already.
    case started(Digest, size: Int64)
    /// `bytes` more bytes of the blob moved.
    case advanced(Digest, bytes: Int64)
    /// The blob is done.
    case finished(Digest, TransferOutcome)
    /// A line of text about the whole operation (`latest: Pulling from library/busybox`).
    case message(String)
}

/// Receives transfer events, possibly from several tasks at once.
public protocol TransferProgress: Sendable {
    func report(_ event: TransferEvent)
}

/// Discards every event (`-q`, tests).
public struct SilentProgress: TransferProgress {
    public init() {}
    public func report(_ event: TransferEvent) {}
}
