import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import MCPWatchCore
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import Testing
@testable import MCPWatchHTTPProxy

/// An MCP server over Streamable HTTP, in process on a free port: `initialize` gets a session, `tools/call` an SSE
/// answer (a progress notification, then the result), `slow` waits for `hold`; each POST is told to `received` as it
/// arrives.
enum InProcessUpstream {
    static let initializeAnswer = #"{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18","capabilities":{},"serverInfo":{"name":"t","version":"1"}}}"#
    static let sse = "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":\"p\",\"progress\":1}}\n\n"
        + "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"content\":[]}}\n\n"

    /// What the upstream saw: one line per request (method, path, session header, body).
    final class Log: Sendable {
        private let lines = Mutex<[String]>([])
        func add(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    static func router(log: Log, hold: AsyncStream<Void>? = nil, received: AsyncStream<Void>.Continuation? = nil) -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/mcp") { request, context -> Response in
            var request = request
            let body = String(buffer: try await request.collectBody(upTo: 1 << 20))
            log.add("POST \(request.headers[MCPEndpoint.sessionHeader] ?? "-") \(body)")
            received?.yield()
            if body.contains("\"initialize\"") {
                return Response(status: .ok, headers: [.contentType: "application/json", MCPEndpoint.sessionHeader: "s-1"],
                                body: ResponseBody(byteBuffer: ByteBuffer(string: initializeAnswer)))
            }
            if body.contains("\"tools/call\"") {
                return Response(status: .ok, headers: [.contentType: "text/event-stream"],
                                body: ResponseBody(byteBuffer: ByteBuffer(string: sse)))
            }
            if body.contains("\"slow\"") {
                if let hold { for await _ in hold { break } }
                return Response(status: .ok, headers: [.contentType: "application/json"],
                                body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"jsonrpc":"2.0","id":9,"result":{"slow":true}}"#)))
            }
            return Response(status: .accepted)
        }
        router.delete("/mcp") { request, _ -> HTTPResponse.Status in
            log.add("DELETE \(request.headers[MCPEndpoint.sessionHeader] ?? "-")")
            return .ok
        }
        return router
    }

    /// Runs `body` with the upstream listening; its URL is `http://127.0.0.1:PORT/mcp`.
    static func with<Value: Sendable>(log: Log, hold: AsyncStream<Void>? = nil, received: AsyncStream<Void>.Continuation? = nil,
                                      _ body: @Sendable (URL) async throws -> Value) async throws -> Value {
        let app = Application(router: router(log: log, hold: hold, received: received),
                              configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        return try await app.test(.live) { client in
            try await body(URL(string: "http://127.0.0.1:\(client.port!)/mcp")!)
        }
    }
}

@Suite struct ReverseProxyTests {
    private func relay(_ upstream: URL, store: MetricsStore) -> StreamableHTTPRelay {
        StreamableHTTPRelay(configuration: .init(upstream: upstream, connectTimeout: .seconds(2), responseTimeout: .seconds(10)),
                            store: store, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "test"))
    }

    private static let initialize = #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}"#
    private static let call = #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"x","arguments":{}}}"#

    @Test func jsonAndSSEAnswersAreRelayedByteForByteAndMeasuredPerSession() async throws {
        let log = InProcessUpstream.Log()
        let store = MetricsStore()
        try await InProcessUpstream.with(log: log) { upstream in
            let relay = self.relay(upstream, store: store)
            try await Application(responder: relay).test(.router) { client in
                let headers: HTTPFields = [.contentType: "application/json", .accept: "application/json, text/event-stream"]
                let session = try await client.execute(uri: "/mcp", method: .post, headers: headers, body: ByteBuffer(string: Self.initialize)) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body) == InProcessUpstream.initializeAnswer)
                    return response.headers[MCPEndpoint.sessionHeader]
                }
                #expect(session == "s-1")
                var withSession = headers
                withSession[MCPEndpoint.sessionHeader] = "s-1"
                try await client.execute(uri: "/mcp", method: .post, headers: withSession, body: ByteBuffer(string: Self.call)) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "text/event-stream")
                    #expect(String(buffer: response.body) == InProcessUpstream.sse)
                }
                try await client.execute(uri: "/mcp", method: .delete, headers: [MCPEndpoint.sessionHeader: "s-1"]) { response in
                    #expect(response.status == .ok)
                }
            }
            await relay.shutdown()
        }
        #expect(log.all == ["POST - \(Self.initialize)", "POST s-1 \(Self.call)", "DELETE s-1"])
        let report = store.report(serverName: nil)
        #expect(report.overview.totalCalls == 2)
        #expect(report.overview.outcomes["ok"] == 2)
        #expect(report.overview.inFlight == 0)
    }

    @Test func anUpstreamThatIsDownGetsEveryRequestAJSONRPCErrorWith502() async throws {
        let store = MetricsStore()
        // Port 1 on loopback: nothing listens there.
        let relay = self.relay(URL(string: "http://127.0.0.1:1/mcp")!, store: store)
        try await Application(responder: relay).test(.router) { client in
            let batch = #"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":"b","method":"ping"}]"#
            try await client.execute(uri: "/mcp", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: batch)) { response in
                #expect(response.status == .badGateway)
                let answers = try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [[String: Any]])
                #expect(answers.map { "\($0["id"]!)" } == ["1", "b"])
                #expect(answers.allSatisfy { ($0["error"] as? [String: Any])?["code"] as? Int == JSONRPCErrorCode.upstreamUnavailable })
            }
        }
        await relay.shutdown()
        #expect(store.report(serverName: nil).overview.outcomes["lost"] == 2)
    }

    @Test func theEndpointChecksComeFirst() async throws {
        let store = MetricsStore()
        let relay = self.relay(URL(string: "http://127.0.0.1:1/mcp")!, store: store)
        try await Application(responder: relay).test(.router) { client in
            try await client.execute(uri: "/mcp", method: .post, headers: [.origin: "http://evil.example"], body: ByteBuffer(string: "{}")) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/other", method: .post, body: ByteBuffer(string: "{}")) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body).contains("the MCP endpoint is /mcp"))
            }
            try await client.execute(uri: "/mcp", method: .put) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET, POST, DELETE")
            }
        }
        await relay.shutdown()
        #expect(store.report(serverName: nil).overview.totalCalls == 0)
    }

    /// The relay as a service: graceful shutdown lets the POST under way get its answer, then `run()` returns.
    @Test(.timeLimit(.minutes(1))) func gracefulShutdownAnswersWhatIsPendingThenEnds() async throws {
        let log = InProcessUpstream.Log()
        let (hold, release) = AsyncStream.makeStream(of: Void.self)
        let (received, upstreamGotIt) = AsyncStream.makeStream(of: Void.self)
        let store = MetricsStore()
        try await InProcessUpstream.with(log: log, hold: hold, received: upstreamGotIt) { upstream in
            let relay = self.relay(upstream, store: store)
            let (ports, port) = AsyncStream.makeStream(of: Int.self)
            let group = ServiceGroup(configuration: .init(services: [ServedRelay(relay: relay, ports: port)], logger: Logger(label: "test")))
            try await withThrowingTaskGroup(of: String?.self) { tasks in
                tasks.addTask {
                    try await group.run()
                    return nil
                }
                var iterator = ports.makeAsyncIterator()
                let bound = try #require(await iterator.next())
                tasks.addTask {
                    let client = HTTPClient(eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton))
                    var request = HTTPClientRequest(url: "http://127.0.0.1:\(bound)/mcp")
                    request.method = .POST
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.body = .bytes(ByteBuffer(string: #"{"jsonrpc":"2.0","id":9,"method":"slow"}"#))
                    let response = try await client.execute(request, timeout: .seconds(30))
                    let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
                    try await client.shutdown()
                    return body
                }
                for await _ in received { break }
                // The request is with the upstream: shut down, then let the upstream answer.
                await group.triggerGracefulShutdown()
                release.yield()
                var answers: [String] = []
                while let next = try await tasks.next() { if let next { answers.append(next) } }
                #expect(answers == [#"{"jsonrpc":"2.0","id":9,"result":{"slow":true}}"#])
            }
        }
        #expect(store.report(serverName: nil).overview.outcomes["ok"] == 1)
    }
}

/// Runs a relay as the service group's service, telling its port.
private struct ServedRelay: Service {
    let relay: StreamableHTTPRelay
    let ports: AsyncStream<Int>.Continuation

    func run() async throws {
        try await relay.run { port in ports.yield(port) }
    }
}
