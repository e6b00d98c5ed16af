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
import Testing
@testable import MCPWatchHTTPProxy

/// The bridge's request handling against a real child process: `sed`, which answers every request that has params
/// with those params as its result (and the id it was given), and says nothing to notifications.
@Suite struct BridgeTests {
    private static let echo = ["sed", "-u", "-n", "-e", #"s/"method":"[a-z/]*","params":/"result":/p"#]

    private func bridge(shared: Bool, store: MetricsStore, grace: Duration = .seconds(2)) -> StdioBridge {
        StdioBridge(configuration: .init(command: Self.echo, sharedServer: shared, shutdownGrace: grace),
                    store: store, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "test"))
    }

    private static let json: HTTPFields = [.contentType: "application/json", .accept: "application/json, text/event-stream"]

    private func initialize(_ client: some TestClientProtocol, id: String) async throws -> String? {
        let body = #"{"jsonrpc":"2.0","id":\#(id),"method":"initialize","params":{"protocolVersion":"2025-06-18"}}"#
        return try await client.execute(uri: "/mcp", method: .post, headers: Self.json, body: ByteBuffer(string: body)) { response in
            #expect(response.status == .ok)
            #expect(String(buffer: response.body) == #"{"jsonrpc":"2.0","id":\#(id),"result":{"protocolVersion":"2025-06-18"}}"#)
            return response.headers[MCPEndpoint.sessionHeader]
        }
    }

    private func call(_ client: some TestClientProtocol, session: String, body: String) async throws -> (HTTPResponse.Status, String) {
        var headers = Self.json
        headers[MCPEndpoint.sessionHeader] = session
        return try await client.execute(uri: "/mcp", method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
            (response.status, String(buffer: response.body))
        }
    }

    @Test func aSessionGetsAServerOfItsOwnAndItsAnswersAsJSON() async throws {
        let store = MetricsStore()
        let bridge = self.bridge(shared: false, store: store)
        try await Application(responder: bridge).test(.router) { client in
            let session = try #require(try await initialize(client, id: "1"))
            #expect(bridge.sessionCount == 1)
            let (status, answer) = try await call(client, session: session,
                body: #"[{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"a":1}},{"jsonrpc":"2.0","id":"x","method":"tools/call","params":{"b":2}}]"#)
            #expect(status == .ok)
            #expect(answer == #"[{"jsonrpc":"2.0","id":2,"result":{"a":1}},{"jsonrpc":"2.0","id":"x","result":{"b":2}}]"#)
            try await client.execute(uri: "/mcp", method: .delete, headers: [MCPEndpoint.sessionHeader: session]) { response in
                #expect(response.status == .ok)
            }
            #expect(bridge.sessionCount == 0)
            let (gone, _) = try await call(client, session: session, body: #"{"jsonrpc":"2.0","id":3,"method":"ping","params":{}}"#)
            #expect(gone == .notFound)
        }
        await bridge.shutdown()
        let report = store.report(serverName: nil)
        #expect(report.overview.outcomes["ok"] == 3)
        #expect(report.anomalies.total == 0)
    }

    @Test func sessionsSharingOneServerEachGetTheirOwnAnswersUnderTheirOwnIds() async throws {
        let store = MetricsStore()
        let bridge = self.bridge(shared: true, store: store)
        try await Application(responder: bridge).test(.router) { client in
            let one = try #require(try await initialize(client, id: "1"))
            // The server is initialized once: the second session's answer comes from mcpwatch, with its own id.
            let two = try #require(try await initialize(client, id: "7"))
            #expect(one != two)
            let (_, first) = try await call(client, session: one, body: #"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"who":"one"}}"#)
            let (_, second) = try await call(client, session: two, body: #"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"who":"two"}}"#)
            #expect(first == #"{"jsonrpc":"2.0","id":5,"result":{"who":"one"}}"#)
            #expect(second == #"{"jsonrpc":"2.0","id":5,"result":{"who":"two"}}"#)
        }
        await bridge.shutdown()
        #expect(store.report(serverName: nil).anomalies.total == 0)
    }

    @Test func requestsWithoutASessionOrWithABadBodyAreRefusedBeforeAnyServerStarts() async throws {
        let store = MetricsStore()
        let bridge = self.bridge(shared: false, store: store)
        try await Application(responder: bridge).test(.router) { client in
            try await client.execute(uri: "/mcp", method: .post, headers: Self.json, body: ByteBuffer(string: #"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("Mcp-Session-Id header is required"))
            }
            try await client.execute(uri: "/mcp", method: .post, headers: Self.json, body: ByteBuffer(string: "{not json")) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("-32700"))
            }
            try await client.execute(uri: "/mcp", method: .get, headers: [.accept: "text/event-stream"]) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/mcp", method: .post, headers: [.origin: "http://evil.example"], body: ByteBuffer(string: "{}")) { response in
                #expect(response.status == .forbidden)
            }
        }
        #expect(bridge.sessionCount == 0)
        await bridge.shutdown()
    }

    /// As a service: graceful shutdown ends the GET streams cleanly (they carry no answers; a long grace would cut
    /// them off instead), then every session and its server, and `run()` returns.
    @Test(.timeLimit(.minutes(1))) func gracefulShutdownEndsTheGetStreamsThenTheSessions() async throws {
        let store = MetricsStore()
        let bridge = self.bridge(shared: false, store: store, grace: .seconds(30))
        let (ports, port) = AsyncStream.makeStream(of: Int.self)
        let group = ServiceGroup(configuration: .init(services: [ServedBridge(bridge: bridge, ports: port)], logger: Logger(label: "test")))
        let client = HTTPClient(eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let bound = try #require(await iterator.next())
            let url = "http://127.0.0.1:\(bound)/mcp"
            var post = HTTPClientRequest(url: url)
            post.method = .POST
            post.headers.add(name: "Content-Type", value: "application/json")
            post.headers.add(name: "Accept", value: "application/json, text/event-stream")
            post.body = .bytes(ByteBuffer(string: #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18"}}"#))
            let opened = try await client.execute(post, timeout: .seconds(30))
            let session = try #require(opened.headers.first(name: "mcp-session-id"))
            #expect(String(buffer: try await opened.body.collect(upTo: 1 << 20)) == #"{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18"}}"#)
            var get = HTTPClientRequest(url: url)
            get.headers.add(name: "Accept", value: "text/event-stream")
            get.headers.add(name: "Mcp-Session-Id", value: session)
            let stream = try await client.execute(get, timeout: .seconds(30))
            #expect(stream.status == .ok)
            #expect(bridge.sessionCount == 1)
            await group.triggerGracefulShutdown()
            let rest = try await stream.body.collect(upTo: 1 << 20)
            #expect(rest.readableBytes == 0)
            try await tasks.waitForAll()
        }
        try await client.shutdown()
        #expect(bridge.sessionCount == 0)
    }
}

/// Runs a bridge as the service group's service, telling its port.
private struct ServedBridge: Service {
    let bridge: StdioBridge
    let ports: AsyncStream<Int>.Continuation

    func run() async throws {
        try await bridge.run { port in ports.yield(port) }
    }
}
