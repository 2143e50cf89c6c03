import ErrorReporting
import Foundation

/// A container operation that failed, with the message kiln prints (`kiln: error: MESSAGE`) and the
/// exit status Docker's CLI gives that failure (1 for a missing container, 125 when the container
/// could not be created or started, the container's own status otherwise).
public struct ContainerError: ReportableError, Sendable, Equatable {
    public var message: String
    public var status: Int32

    public init(_ message: String, status: Int32) {
        self.message = message
        self.status = status
    }
}
