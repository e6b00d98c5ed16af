import Foundation
import MCPWatchCore
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// `mcpwatch bench-server --http HOST:PORT`: the same minimal server as ``BenchServer``, over Streamable HTTP, so that
/// a benchmark of an HTTP path (a reverse proxy, a transport) measures that path and not the server.
///
/// A NIO HTTP/1.1 server that answers on the event loop that read the request: no task hops, no JSON decoding beyond
/// ``BenchServer``'s. Endpoint `/mcp`:
/// - POST one JSON-RPC message: a request gets 200 with its response as `application/json`; a notification or a
///   response gets 202; a body that is not JSON gets 400 with -32700, one that is not a JSON-RPC message (or a batch)
///   400 with -32600.
/// - `initialize` opens a session (`Mcp-Session-Id` in the answer); every other POST must carry a session id it
///   issued (400 without one, 404 for an unknown one, so that the client starts again).
/// - DELETE ends the session (200; 404 when unknown). GET gets 405: it never sends anything unasked.
/// - Other paths get 404, other methods 405, bodies over 4 MiB 413.
public final class BenchHTTPServer: Sendable {
    /// The largest body it reads.
    public static let maxBodyBytes = 4 << 20
    /// The most sessions open at once; `initialize` beyond that gets 503.
    public static let maxSessions = 100_000

    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    let sessions: BenchSessions

    /// Where it listens.
    public var address: String {
        let port = channel.localAddress?.port ?? 0
        return "\(channel.localAddress?.ipAddress ?? "?"):\(port)"
    }

    /// The port it listens on (useful after asking for port 0).
    public var port: Int { channel.localAddress?.port ?? 0 }

    private init(group: MultiThreadedEventLoopGroup, channel: any Channel, sessions: BenchSessions) {
        self.group = group
        self.channel = channel
        self.sessions = sessions
    }

    /// Starts listening.
    /// - Parameters:
    ///   - host: the address to bind (127.0.0.1 unless it should be reachable from elsewhere).
    ///   - port: the port (0: any free one; see ``port``).
    ///   - threads: event loop threads (default: one per core).
    /// - Throws: ``WatchError`` with code `io` when it cannot listen.
    public static func start(host: String, port: Int, threads: Int = System.coreCount) throws(WatchError) -> BenchHTTPServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        let sessions = BenchSessions()
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(BenchHTTPHandler(sessions: sessions))
                }
            }
        do {
            let channel = try bootstrap.bind(host: host, port: port).wait()
            return BenchHTTPServer(group: group, channel: channel, sessions: sessions)
        } catch {
            try? group.syncShutdownGracefully()
            throw WatchError(.io, "cannot listen on \(host):\(port): \(error)")
        }
    }

    /// Blocks until the server is closed (by ``close()`` or a fatal error).
    public func wait() {
        try? channel.closeFuture.wait()
    }

    /// Stops listening and ends the event loops.
    public func close() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }
}

/// The sessions the HTTP bench server issued.
final class BenchSessions: Sendable {
    private let ids = Mutex<Set<String>>([])

    /// A new session id, or nil when ``BenchHTTPServer/maxSessions`` are open.
    func open() -> String? {
        let id = UUID().uuidString.lowercased()
        return ids.withLock { ids in
            guard ids.count < BenchHTTPServer.maxSessions else { return nil }
            ids.insert(id)
            return id
        }
    }

    func contains(_ id: String) -> Bool { ids.withLock { $0.contains(id) } }

    /// Ends a session; false when it was not open.
    func close(_ id: String) -> Bool { ids.withLock { $0.remove(id) != nil } }

    var count: Int { ids.withLock { $0.count } }
}

/// One connection of the HTTP bench server: reads a request, answers it on the event loop.
final class BenchHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let sessions: BenchSessions
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var bodyTooLarge = false
    private var inspector = MessageInspector()
    private var out: [UInt8] = []

    init(sessions: BenchSessions) {
        self.sessions = sessions
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = nil
            bodyTooLarge = false
        case .body(var chunk):
            guard !bodyTooLarge else { return }
            if (body?.readableBytes ?? 0) + chunk.readableBytes > BenchHTTPServer.maxBodyBytes {
                bodyTooLarge = true
                body = nil
            } else if body == nil {
                body = chunk
            } else {
                body!.writeBuffer(&chunk)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            answer(head, context: context)
            body = nil
        }
    }

    private func answer(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard path == "/mcp" else {
            return send(.notFound, text: "not found: the MCP endpoint is /mcp\n", head: head, context: context)
        }
        let session = head.headers.first(name: "mcp-session-id")
        switch head.method {
        case .POST:
            guard !bodyTooLarge else {
                return send(.payloadTooLarge, text: "body larger than \(BenchHTTPServer.maxBodyBytes) bytes\n", head: head, context: context)
            }
            guard var body = self.body, body.readableBytes > 0 else {
                return sendError(.badRequest, code: -32700, "Parse error: the body is empty", head: head, context: context)
            }
            out.removeAll(keepingCapacity: true)
            let answer = body.withUnsafeReadableBytes { BenchServer.respond(to: $0, inspector: &inspector, into: &out) }
            body.clear()
            var extra: (name: String, value: String)?
            switch answer {
            case .invalid:
                return send(.badRequest, json: out, head: head, context: context)
            case .initialized:
                guard let id = sessions.open() else {
                    return sendError(.serviceUnavailable, code: -32000, "too many sessions open", head: head, context: context)
                }
                extra = ("Mcp-Session-Id", id)
            case .answered, .nothing:
                guard let session else {
                    return sendError(.badRequest, code: -32600, "Bad Request: no Mcp-Session-Id (send initialize first)", head: head, context: context)
                }
                guard sessions.contains(session) else {
                    return sendError(.notFound, code: -32001, "Session not found", head: head, context: context)
                }
                if answer == .nothing { return send(.accepted, text: nil, head: head, context: context) }
            }
            send(.ok, json: out, head: head, context: context, extra: extra)
        case .DELETE:
            guard let session else {
                return sendError(.badRequest, code: -32600, "Bad Request: DELETE ends the session named by Mcp-Session-Id", head: head, context: context)
            }
            guard sessions.close(session) else {
                return sendError(.notFound, code: -32001, "Session not found", head: head, context: context)
            }
            send(.ok, text: nil, head: head, context: context)
        case .GET:
            send(.methodNotAllowed, text: "this server sends nothing unasked: no GET stream\n", head: head, context: context,
                 extra: ("Allow", "POST, DELETE"))
        default:
            send(.methodNotAllowed, text: "use POST\n", head: head, context: context, extra: ("Allow", "POST, DELETE"))
        }
    }

    private func sendError(_ status: HTTPResponseStatus, code: Int, _ message: String, head: HTTPRequestHead, context: ChannelHandlerContext) {
        send(status, json: JSONRPCErrorResponse.line(id: RequestID(json: "null"), code: code, message: message), head: head, context: context)
    }

    private func send(_ status: HTTPResponseStatus, json: [UInt8], head: HTTPRequestHead, context: ChannelHandlerContext,
                      extra: (name: String, value: String)? = nil) {
        // The answer without its line end.
        let count = json.last == 0x0A ? json.count - 1 : json.count
        var buffer = context.channel.allocator.buffer(capacity: count)
        json.withUnsafeBytes { buffer.writeBytes(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        write(status, contentType: "application/json", body: buffer, head: head, context: context, extra: extra)
    }

    private func send(_ status: HTTPResponseStatus, text: String?, head: HTTPRequestHead, context: ChannelHandlerContext,
                      extra: (name: String, value: String)? = nil) {
        let buffer = text.map { context.channel.allocator.buffer(string: $0) }
        write(status, contentType: text == nil ? nil : "text/plain; charset=utf-8", body: buffer, head: head, context: context, extra: extra)
    }

    private func write(_ status: HTTPResponseStatus, contentType: String?, body: ByteBuffer?, head: HTTPRequestHead,
                       context: ChannelHandlerContext, extra: (name: String, value: String)?) {
        var headers = HTTPHeaders()
        if let contentType { headers.add(name: "Content-Type", value: contentType) }
        headers.add(name: "Content-Length", value: String(body?.readableBytes ?? 0))
        if let extra { headers.add(name: extra.name, value: extra.value) }
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if let body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
