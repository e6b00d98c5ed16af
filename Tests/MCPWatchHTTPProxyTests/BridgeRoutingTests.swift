import Logging
import MCPWatchCore
import Testing
@testable import MCPWatchHTTPProxy

@Suite struct BridgeSessionTests {
    private func receive(_ session: BridgeSession, _ json: String) {
        var inspector = MessageInspector()
        Array(json.utf8).withUnsafeBytes { session.receive($0, inspector: &inspector) }
    }

    private func items(_ exchange: BridgeExchange) async -> [String] {
        var out: [String] = []
        for await item in exchange.items {
            switch item {
            case .response(let line): out.append("response " + String(decoding: line, as: UTF8.self))
            case .message(let line): out.append("message " + String(decoding: line, as: UTF8.self))
            case .failure(let ids, let code, _, let status): out.append("failure \(ids.map(\.json)) \(code) \(status.code)")
            }
        }
        return out
    }

    @Test func progressAndResponsesReachThePostThatAskedAndOthersWaitForTheGetStream() async {
        let store = MetricsStore()
        let session = BridgeSession(id: "s1", store: store)
        let exchange = BridgeExchange(ids: [JSONRPCID(1), JSONRPCID(json: #""b""#)], streams: true)
        #expect(session.register(exchange, requests: [(JSONRPCID(1), #""tok""#), (JSONRPCID(json: #""b""#), nil)]))
        receive(session, #"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"tok","progress":1}}"#)
        receive(session, #"{"jsonrpc":"2.0","id":1,"result":{}}"#)
        receive(session, #"{"jsonrpc":"2.0","id":1,"result":{"late":true}}"#)  // answered already: dropped
        receive(session, #"{"jsonrpc":"2.0","id":"b","error":{"code":-32601,"message":"no"}}"#)
        #expect(await items(exchange) == [
            #"message {"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"tok","progress":1}}"#,
            #"response {"jsonrpc":"2.0","id":1,"result":{}}"#,
            #"response {"jsonrpc":"2.0","id":"b","error":{"code":-32601,"message":"no"}}"#,
        ])
        // Nothing is waiting now: a log message goes to the backlog, and the GET stream gets it first.
        receive(session, #"{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"x"}}"#)
        let stream = session.openStandalone()
        #expect(stream != nil)
        #expect(session.openStandalone() == nil)  // one per session
        var iterator = stream!.makeAsyncIterator()
        let first = await iterator.next().map { String(decoding: $0, as: UTF8.self) }
        #expect(first == "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"level\":\"info\",\"data\":\"x\"}}\n\n")
        session.end(code: JSONRPCErrorCode.serverExited, message: "bye")
        #expect(await iterator.next() == nil)
    }

    @Test func cancelTimeoutAndEndAnswerTheWaitingPosts() async {
        let store = MetricsStore()
        let session = BridgeSession(id: "s2", store: store)
        let cancelled = BridgeExchange(ids: [JSONRPCID(1)], streams: false)
        let silent = BridgeExchange(ids: [JSONRPCID(2)], streams: false)
        let ended = BridgeExchange(ids: [JSONRPCID(3)], streams: false)
        for (exchange, id) in [(cancelled, 1), (silent, 2), (ended, 3)] {
            #expect(session.register(exchange, requests: [(JSONRPCID(id), nil)]))
        }
        #expect(session.cancel([JSONRPCID(1), JSONRPCID(9)]) == [JSONRPCID(1)])
        #expect(await items(cancelled) == ["failure [\"1\"] -32800 200"])
        #expect(session.expire(timeout: .seconds(60), now: .now).isEmpty)
        // Past the timeout, both requests that heard nothing are answered with 504.
        #expect(Set(session.expire(timeout: .zero, now: .now + .seconds(1))) == [JSONRPCID(2), JSONRPCID(3)])
        #expect(await items(silent) == ["failure [\"2\"] -32002 504"])
        #expect(await items(ended) == ["failure [\"3\"] -32002 504"])
        #expect(session.isIdle(for: .zero, now: .now))
        session.end(code: JSONRPCErrorCode.serverExited, message: "bye")
        #expect(!session.register(BridgeExchange(ids: [JSONRPCID(4)], streams: false), requests: [(JSONRPCID(4), nil)]))
    }
}

@Suite struct SharedServerTests {
    /// Two sessions send the same request id to one real process (`sed`, which turns each request into a response
    /// carrying the id it was given): each answer comes back to its own session with its own id.
    @Test func idsAreRewrittenOnTheWayInAndRestoredOnTheWayOut() async throws {
        let store = MetricsStore()
        let shared = SharedServer(store: store)
        let child = try BridgeChild.start(
            command: ["sed", "-u", "-e", #"s/"method":"echo","params":/"result":/"#], maxMessageBytes: 1 << 20
        ) { output, inspector in
            if case .line(let line) = output { shared.receive(line, inspector: &inspector) }
        } exited: { _, _ in }
        shared.attach(child)
        defer { child.stop(grace: .seconds(1), logger: Logger(label: "test")) }

        var exchanges: [BridgeExchange] = []
        for name in ["one", "two"] {
            let session = BridgeSession(id: name, store: store)
            shared.add(session)
            let exchange = BridgeExchange(ids: [JSONRPCID(1)], streams: false)
            #expect(session.register(exchange, requests: [(JSONRPCID(1), nil)]))
            let request = #"{"jsonrpc":"2.0","id":1,"method":"echo","params":{"text":"\#(name)"}}"#
            var inspector = MessageInspector()
            Array(request.utf8).withUnsafeBytes { _ = session.recorder.observeOutgoing(frame: $0, direction: .clientToServer, at: store.clock.now(), inspector: &inspector) }
            #expect(Array(request.utf8).withUnsafeBytes { shared.send($0, from: session) })
            exchanges.append(exchange)
        }
        var answers: [String] = []
        for exchange in exchanges {
            for await case .response(let line) in exchange.items { answers.append(String(decoding: line, as: UTF8.self)) }
        }
        #expect(answers == [#"{"jsonrpc":"2.0","id":1,"result":{"text":"one"}}"#, #"{"jsonrpc":"2.0","id":1,"result":{"text":"two"}}"#])
        #expect(store.report(serverName: nil).anomalies.total == 0)
    }
}
