import AsyncHTTPClient
import Foundation
import NIOCore

/// A plain HTTP(S) GET of any URL (a Dockerfile's `ADD <url>`), streamed to the caller chunk by chunk.
/// Redirects are followed (at most 5, no cycles). Uses the process-wide HTTP client, so kiln links
/// no second HTTP stack (Foundation's URLSession would load libcurl and its dozens of libraries at
/// every start-up). Writes nothing itself.
public enum URLFetch {
    /// The response status was not 2xx.
    public struct StatusError: Error, CustomStringConvertible {
        public let status: Int
        public var description: String { "invalid response status \(status)" }
    }

    /// GETs `url`, handing each chunk of the body to `chunk` in order; throws ``StatusError`` for a
    /// status outside 200–299 (before any chunk is handed over).
    public static func get(_ url: String, chunk: (UnsafeRawBufferPointer) throws -> Void) async throws {
        let request = HTTPClientRequest(url: url)
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(600))
        guard (200..<300).contains(Int(response.status.code)) else {
            throw StatusError(status: Int(response.status.code))
        }
        for try await buffer in response.body {
            try buffer.withUnsafeReadableBytes { try chunk($0) }
        }
    }
}
