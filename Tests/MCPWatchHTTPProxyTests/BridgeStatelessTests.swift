import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import MCPWatchCore
import NIOCore
import NIOPosix
import Testing
@testable import MCPWatchHTTPProxy

/// 2026-07-28 POSTs at the bridge, against a real child process (`sed`, as in ``BridgeTests``: it answers every
/// request that has params with those params as its result).
@Suite struct BridgeStatelessTests {
    private static let echo = ["sed", "-u", "-n", "-e", #"s/"method":"[a-z/]*","params":/"result":/p"#]
    private static let json: HTTPFields = [.contentType: "application/json", .accept: "application/json, text/event-stream"]
    private static let meta = #""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}"#

    @Test(arguments: [false, true])
    func modernPostsNeedNoSessionGetTheirOwnAnswersAndLeaveTheSessionsAlone(shared: Bool) async throws {
        let store = MetricsStore()
        let bridge = StdioBridge(configuration: .init(command: Self.echo, sharedServer: shared),
                                 store: store, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "test"))
        try await Application(responder: bridge).test(.router) { client in
            // Two modern clients, both with id 5: each gets its own answer, and no session.
            for who in ["one", "two"] {
                let body = #"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"who":"\#(who)",\#(Self.meta)}}"#
                try await client.execute(uri: "/mcp", method: .post, headers: Self.json, body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[MCPEndpoint.sessionHeader] == nil)
                    #expect(String(buffer: response.body) == #"{"jsonrpc":"2.0","id":5,"result":{"who":"\#(who)",\#(Self.meta)}}"#)
                }
            }
            #expect(bridge.sessionCount == 0)
            // A session of the older era on the same endpoint still starts with initialize.
            let initialize = #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18"}}"#
            try await client.execute(uri: "/mcp", method: .post, headers: Self.json, body: ByteBuffer(string: initialize)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[MCPEndpoint.sessionHeader] != nil)
            }
            #expect(bridge.sessionCount == 1)
            // A request of the older era without a session is refused as before.
            let old = #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{}}"#
            try await client.execute(uri: "/mcp", method: .post, headers: Self.json, body: ByteBuffer(string: old)) { response in
                #expect(response.status == .badRequest)
            }
        }
        #expect(bridge.stateless.sessions.isEmpty, "every modern POST's routes are forgotten once answered")
        await bridge.shutdown()
        let report = store.report(serverName: nil)
        #expect(report.overview.outcomes["ok"] == 3)
        #expect(report.anomalies.total == 0)
        #expect(store.sessions.totalOpened == 1)
    }

    @Test func aQuietStreamingAnswerGetsAKeepAliveAndOnlyThen() async {
        let exchange = BridgeExchange(ids: [JSONRPCID(1)], streams: true)
        let start = ContinuousClock.now
        exchange.keepAlive(after: .seconds(15), now: start + .seconds(60))  // silent: not streaming yet
        exchange.push(Array(#"{"jsonrpc":"2.0","method":"notifications/subscriptions/acknowledged"}"#.utf8))
        let pushed = ContinuousClock.now
        exchange.keepAlive(after: .seconds(15), now: pushed + .seconds(5))  // not quiet long enough
        exchange.keepAlive(after: .seconds(15), now: pushed + .seconds(16))
        exchange.keepAlive(after: .seconds(15), now: pushed + .seconds(20))  // one per quiet period
        exchange.answer(Array(#"{"jsonrpc":"2.0","id":1,"result":{}}"#.utf8))
        exchange.keepAlive(after: .seconds(15), now: pushed + .seconds(60))  // answered: over
        var kinds: [String] = []
        for await item in exchange.items {
            switch item {
            case .message(let line): kinds.append(line.isEmpty ? "keep-alive" : "message")
            case .response: kinds.append("response")
            case .failure: kinds.append("failure")
            }
        }
        #expect(kinds == ["message", "keep-alive", "response"])
    }
}
