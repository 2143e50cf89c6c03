import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A tiny in-process HTTP server on 127.0.0.1 whose answers a test scripts, to reproduce
/// registry quirks (token realms, 5xx, dropped connections, wrong bytes). Test-only.
final class FakeRegistry: @unchecked Sendable {
    struct Request: Sendable {
        var method: String
        var uri: String
        var headers: [String: String]  // lowercased names
        var body: Data
        var path: String { String(uri.split(separator: "?", maxSplits: 1).first ?? "") }
        var query: [String: [String]] {
            guard let q = uri.split(separator: "?", maxSplits: 1).dropFirst().first else { return [:] }
            var result: [String: [String]] = [:]
            for pair in q.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
                result[parts[0], default: []].append(parts.count > 1 ? parts[1] : "")
            }
            return result
        }
    }

    struct Response: Sendable {
        var status: Int
        var headers: [(String, String)] = []
        var body: Data = Data()
        /// When set, only this many body bytes are written (with the full Content-Length) before
        /// the connection is closed: a dropped connection.
        var dropAfter: Int? = nil
    }

    typealias Handler = @Sendable (Request) -> Response

    private let lock = NSLock()
    private var _requests: [Request] = []
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private var channel: Channel!
    let handler: Handler

    var requests: [Request] { lock.withLock { _requests } }
    var port: Int { channel.localAddress!.port! }
    var host: String { "127.0.0.1:\(port)" }

    init(handler: @escaping Handler) throws {
        self.handler = handler
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(Connection(registry: self))
                }
            }
        channel = try bootstrap.bind(host: "127.0.0.1", port: 0).wait()
    }

    func shutdown() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }

    fileprivate func handle(_ request: Request) -> Response {
        lock.withLock { _requests.append(request) }
        return handler(request)
    }

    private final class Connection: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let registry: FakeRegistry
        var head: HTTPRequestHead?
        var body = Data()

        init(registry: FakeRegistry) { self.registry = registry }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = Data()
            case .body(var buffer):
                body.append(contentsOf: buffer.readBytes(length: buffer.readableBytes) ?? [])
            case .end:
                guard let head else { return }
                var headers: [String: String] = [:]
                for (name, value) in head.headers { headers[name.lowercased()] = value }
                let response = registry.handle(Request(method: head.method.rawValue, uri: head.uri, headers: headers, body: body))
                var out = HTTPHeaders(response.headers)
                if !out.contains(name: "Content-Length") { out.add(name: "Content-Length", value: String(response.body.count)) }
                let responseHead = HTTPResponseHead(version: head.version, status: HTTPResponseStatus(statusCode: response.status), headers: out)
                context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
                let bytes = response.dropAfter.map { response.body.prefix($0) } ?? response.body
                if head.method != .HEAD, !bytes.isEmpty {
                    context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: bytes)))), promise: nil)
                }
                if response.dropAfter != nil {
                    context.flush()
                    context.close(promise: nil)
                } else {
                    context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                }
                self.head = nil
            }
        }
    }
}

/// A thread-safe counter for scripting "first time fail, then succeed".
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: Int] = [:]
    /// Increments `key` and returns the new count (1 on the first call).
    func next(_ key: String) -> Int { lock.withLock { values[key, default: 0] += 1; return values[key]! } }
    func set(_ key: String, _ value: Int) { lock.withLock { values[key] = value } }
    func value(_ key: String) -> Int { lock.withLock { values[key, default: 0] } }
}
