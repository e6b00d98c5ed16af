import Foundation
import Testing
@testable import MCPWatchCore

/// Logical calls, tasks and streams of MCP 2026-07-28 (issue 17, items 3, 4 and 6), from messages captured between the
/// official Python SDK 2.3 `Client` and an SDK 2.3 server (IntegrationTests/modern_calls_server.py) over stdio; only
/// the `requestState` blobs are shortened, alike in the answer and its retry.
@Suite struct LogicalCallTests {
    static let meta = #""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"mcp","version":"0.1.0"},"io.modelcontextprotocol/clientCapabilities":{"elicitation":{"form":{},"url":{}},"extensions":{"io.modelcontextprotocol/tasks":{}}}}"#
    static let serverMeta = #""_meta":{"io.modelcontextprotocol/serverInfo":{"name":"modern-calls-peer","version":""}}"#

    static let confirm = #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"confirm","arguments":{"item":"x"},\#(meta)}}"#
    static let inputRequired = #"{"jsonrpc":"2.0","id":1,"result":{"inputRequests":{"__main__:ask":{"method":"elicitation/create","params":{"message":"Really do it to x?","mode":"form","requestedSchema":{"properties":{"ok":{"title":"Ok","type":"boolean"}},"required":["ok"],"type":"object"}}}},"requestState":"v1.pdyzV5dkBmrH5EJzSAY-c7n8z8mmjBkKPRwnG-Sy","resultType":"input_required",\#(serverMeta)}}"#
    static let retry = #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"inputResponses":{"__main__:ask":{"action":"accept","content":{"ok":true}}},"requestState":"v1.pdyzV5dkBmrH5EJzSAY-c7n8z8mmjBkKPRwnG-Sy","name":"confirm","arguments":{"item":"x"},\#(meta)}}"#
    static let confirmed = #"{"jsonrpc":"2.0","id":2,"result":{"content":[{"text":"x: confirmed","type":"text"}],"isError":false,"resultType":"complete","structuredContent":{"result":"x: confirmed"},\#(serverMeta)}}"#

    static let longJob = #"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"long_job","arguments":{"steps":2},\#(meta)}}"#
    static let taskCreated = #"{"jsonrpc":"2.0","id":4,"result":{"resultType":"task","taskId":"task-1","status":"working","ttlMs":60000,"pollIntervalMs":10,\#(serverMeta)}}"#
    static func poll(_ id: Int) -> String { #"{"jsonrpc":"2.0","id":\#(id),"method":"tasks/get","params":{"taskId":"task-1",\#(meta)}}"# }
    static func working(_ id: Int) -> String { #"{"jsonrpc":"2.0","id":\#(id),"result":{"resultType":"complete","taskId":"task-1","status":"working","pollIntervalMs":10,\#(serverMeta)}}"# }
    static func completed(_ id: Int) -> String { #"{"jsonrpc":"2.0","id":\#(id),"result":{"resultType":"complete","taskId":"task-1","status":"completed","result":{"content":[{"type":"text","text":"done after 2 steps"}],"structuredContent":{"result":"done after 2 steps"},"isError":false},\#(serverMeta)}}"# }

    static let listen = #"{"jsonrpc":"2.0","id":"listen-1","method":"subscriptions/listen","params":{"notifications":{"toolsListChanged":true},\#(meta)}}"#
    static let acknowledged = #"{"jsonrpc":"2.0","method":"notifications/subscriptions/acknowledged","params":{"_meta":{"io.modelcontextprotocol/subscriptionId":"listen-1"},"notifications":{"toolsListChanged":true}}}"#
    static let addTool = #"{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"add_tool","arguments":{},\#(meta)}}"#
    static let listChanged = #"{"jsonrpc":"2.0","method":"notifications/tools/list_changed","params":{"_meta":{"io.modelcontextprotocol/subscriptionId":"listen-1"}}}"#
    static let added = #"{"jsonrpc":"2.0","id":8,"result":{"content":[{"text":"added","type":"text"}],"isError":false,"resultType":"complete","structuredContent":{"result":"added"},\#(serverMeta)}}"#
    static let connectionClosed = #"{"jsonrpc":"2.0","id":"listen-1","error":{"code":-32000,"message":"Connection closed"}}"#

    struct Wire {
        let clock = ManualClock()
        let store: MetricsStore
        let recorder: TrafficRecorder
        nonisolated(unsafe) var inspector = MessageInspector()

        init() {
            store = MetricsStore(clock: clock)
            recorder = TrafficRecorder(store: store)
        }

        mutating func send(_ text: String, _ direction: Direction, afterMs ms: Double = 0) {
            clock.advance(nanoseconds: UInt64(ms * 1_000_000))
            let now = clock.now()
            Array(text.utf8).withUnsafeBytes { _ = recorder.observe(frame: $0, direction: direction, at: now, inspector: &inspector) }
        }

        func target(_ name: String) -> TargetReport? { store.report().targets.first { $0.name == name } }
    }

    @Test func theInspectorReadsWhatTiesTheRoundsTogether() {
        var inspector = MessageInspector()
        guard case .message(let answer) = inspector.inspect(Self.inputRequired),
              case .message(let retry) = inspector.inspect(Self.retry),
              case .message(let task) = inspector.inspect(Self.taskCreated),
              case .message(let done) = inspector.inspect(Self.completed(7)),
              case .message(let poll) = inspector.inspect(Self.poll(5)),
              case .message(let changed) = inspector.inspect(Self.listChanged) else {
            Issue.record("expected messages")
            return
        }
        #expect(answer.resultType == .inputRequired)
        #expect(answer.requestStateHash != nil)
        #expect(answer.requestStateHash == retry.requestStateHash)
        #expect(retry.hasInputResponses)
        #expect(retry.paramsName == "confirm")
        #expect(task.resultType == .task && task.taskID == "task-1" && task.taskStatus == .working)
        #expect(done.taskStatus == .completed && !done.taskResultIsError && !done.isToolError)
        #expect(poll.taskID == "task-1")
        #expect(changed.subscriptionID == RequestID(json: #""listen-1""#))
        // Two writers may escape the same state apart: the hash is of the text, not of its escapes.
        guard case .message(let escaped) = inspector.inspect(#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"requestState":"v1.pdyzV5dkBmrH5EJzSAY\u002dc7n8z8mmjBkKPRwnG\u002dSy"}}"#) else {
            Issue.record("expected a message")
            return
        }
        #expect(escaped.requestStateHash == answer.requestStateHash)
    }

    @Test func anInputRequiredCallIsOneLogicalCallOfTwoRounds() {
        var wire = Wire()
        wire.send(Self.confirm, .clientToServer)
        wire.send(Self.inputRequired, .serverToClient, afterMs: 10)
        // The user takes half a second to answer.
        wire.send(Self.retry, .clientToServer, afterMs: 500)
        wire.send(Self.confirmed, .serverToClient, afterMs: 20)
        guard let confirm = wire.target("confirm"), let logical = confirm.logical else {
            Issue.record("expected the tool's logical calls")
            return
        }
        // Each round trip is recorded as before; the interim one is neither ok nor an error.
        #expect(confirm.calls == 2)
        #expect(confirm.outcomes["input_required"] == 1)
        #expect(confirm.outcomes["ok"] == 1)
        #expect(confirm.errors == 0)
        #expect(confirm.successRate == 100)
        #expect(confirm.interimRounds == 1)
        #expect(confirm.maxMs == 20)
        #expect(logical.calls == 1)
        #expect(logical.multiRoundCalls == 1)
        #expect(logical.rounds == 2)
        #expect(logical.maxRounds == 2)
        #expect(logical.clientWaitMs == 500)
        #expect(logical.latency.maxMs == 530)
        #expect(logical.errors == 0)
        let overview = wire.store.report().overview
        #expect(overview.totalErrors == 0)
        #expect(overview.successRate == 100)
        #expect(overview.inFlight == 0)
    }

    @Test func aTargetsEarlierCallsAreItsFirstLogicalCalls() {
        var wire = Wire()
        for id in [10, 11] {
            wire.send(Self.confirm.replacingOccurrences(of: #""id":1"#, with: #""id":\#(id)"#), .clientToServer)
            wire.send(Self.confirmed.replacingOccurrences(of: #""id":2"#, with: #""id":\#(id)"#), .serverToClient, afterMs: 5)
        }
        #expect(wire.target("confirm")?.logical == nil)
        wire.send(Self.confirm, .clientToServer)
        wire.send(Self.inputRequired, .serverToClient, afterMs: 10)
        wire.send(Self.retry, .clientToServer, afterMs: 100)
        wire.send(Self.confirmed, .serverToClient, afterMs: 10)
        // And a single round after it is a logical call of one round.
        wire.send(Self.confirm.replacingOccurrences(of: #""id":1"#, with: #""id":12"#), .clientToServer)
        wire.send(Self.confirmed.replacingOccurrences(of: #""id":2"#, with: #""id":12"#), .serverToClient, afterMs: 5)
        let logical = wire.target("confirm")?.logical
        #expect(logical?.calls == 4)
        #expect(logical?.rounds == 5)
        #expect(logical?.multiRoundCalls == 1)
        #expect(logical?.latency.maxMs == 120)
        #expect(logical?.latency.minMs == 5)
        #expect(wire.target("confirm")?.calls == 5)
    }

    @Test func aRetryOnAnotherConnectionContinuesTheCall() {
        // Stateless Streamable HTTP: every POST may have a recorder of its own; the store's table ties the rounds.
        let clock = ManualClock()
        let store = MetricsStore(clock: clock)
        func post(_ request: String, _ answer: String, ms: Double) {
            let recorder = TrafficRecorder(store: store)
            var inspector = MessageInspector()
            Array(request.utf8).withUnsafeBytes { _ = recorder.observe(frame: $0, direction: .clientToServer, at: clock.now(), inspector: &inspector) }
            clock.advance(nanoseconds: UInt64(ms * 1_000_000))
            Array(answer.utf8).withUnsafeBytes { _ = recorder.observe(frame: $0, direction: .serverToClient, at: clock.now(), inspector: &inspector) }
        }
        post(Self.confirm, Self.inputRequired, ms: 10)
        clock.advance(nanoseconds: 200_000_000)
        post(Self.retry, Self.confirmed, ms: 10)
        post(Self.longJob, Self.taskCreated, ms: 1)
        post(Self.poll(5), Self.working(5), ms: 1)
        post(Self.poll(6), Self.completed(6), ms: 1)
        let targets = store.report().targets
        let confirm = targets.first { $0.name == "confirm" }?.logical
        #expect(confirm?.rounds == 2)
        #expect(confirm?.clientWaitMs == 200)
        #expect(confirm?.latency.maxMs == 220)
        let job = targets.first { $0.name == "long_job" }?.logical
        #expect(job?.taskCalls == 1)
        #expect(job?.polls == 2)
        #expect(store.logicalCalls.waitingCount == (0, 0))
    }

    @Test func theWaitingTableIsBounded() {
        let tracker = LogicalCallTracker(maxWaiting: 2)
        let t = MonotonicInstant(nanoseconds: 1)
        let chain = LogicalCallTracker.Chain(method: "tools/call", target: "a", firstStartedAt: t, lastAnswerAt: t)
        for i in 0..<5 { tracker.awaitRetry(.state(UInt64(i)), chain) }
        for i in 0..<5 { tracker.startTask("task-\(i)", chain) }
        #expect(tracker.waitingCount == (2, 2))
        // The newest stay, the oldest were forgotten.
        #expect(tracker.takeRetry(.state(4)) != nil)
        #expect(tracker.takeRetry(.state(0)) == nil)
        #expect(tracker.poll("task-4", terminal: true)?.polls == 1)
        #expect(tracker.poll("task-0", terminal: true) == nil)
    }

    @Test func aTaskIsMeasuredToItsTerminalStatusThroughItsPolls() {
        var wire = Wire()
        wire.send(Self.longJob, .clientToServer)
        wire.send(Self.taskCreated, .serverToClient, afterMs: 3)
        for (id, last) in [(5, false), (6, false), (7, true)] {
            wire.send(Self.poll(id), .clientToServer, afterMs: 100)
            wire.send(last ? Self.completed(id) : Self.working(id), .serverToClient, afterMs: 1)
        }
        guard let job = wire.target("long_job"), let logical = job.logical, let polls = wire.target("tasks/get") else {
            Issue.record("expected the tool and its polls")
            return
        }
        #expect(job.calls == 1)
        #expect(job.outcomes["task"] == 1)
        #expect(job.errors == 0)
        #expect(job.inFlight == 0)
        // Polls are polls, not tool calls.
        #expect(polls.calls == 3)
        #expect(polls.method == "tasks/get")
        #expect(logical.calls == 1)
        #expect(logical.taskCalls == 1)
        #expect(logical.polls == 3)
        #expect(logical.latency.maxMs == 306)
        #expect(logical.errors == 0)
    }

    @Test func aFailedTaskIsAFailedLogicalCall() {
        var wire = Wire()
        wire.send(Self.longJob, .clientToServer)
        wire.send(Self.taskCreated, .serverToClient, afterMs: 1)
        wire.send(Self.poll(5), .clientToServer, afterMs: 10)
        wire.send(#"{"jsonrpc":"2.0","id":5,"result":{"resultType":"complete","taskId":"task-1","status":"failed","error":{"code":-32603,"message":"boom"}}}"#,
                  .serverToClient, afterMs: 1)
        let logical = wire.target("long_job")?.logical
        #expect(logical?.calls == 1)
        #expect(logical?.errors == 1)
        #expect(wire.target("tasks/get")?.errors == 0)
    }

    @Test func aListenStreamIsAStreamNotACallInFlight() {
        var wire = Wire()
        wire.send(Self.listen, .clientToServer)
        wire.send(Self.acknowledged, .serverToClient, afterMs: 2)
        var streams = wire.store.report().overview.streams
        #expect(streams?.open == 1)
        #expect(wire.store.report().overview.inFlight == 0)
        wire.send(Self.addTool, .clientToServer, afterMs: 1_000)
        wire.send(Self.listChanged, .serverToClient, afterMs: 1)
        wire.send(Self.added, .serverToClient, afterMs: 1)
        wire.send(Self.connectionClosed, .serverToClient, afterMs: 10)
        let report = wire.store.report()
        streams = report.overview.streams
        #expect(streams?.open == 0)
        #expect(streams?.opened == 1)
        #expect(streams?.closed == ["error": 1])
        #expect(streams?.notifications == ["notifications/subscriptions/acknowledged": 1, "notifications/tools/list_changed": 1])
        #expect(streams?.kinds.first?.kind == "subscriptions/listen")
        #expect(streams?.kinds.first?.maxLifetimeMs == 1_014)
        // Not a call at all: no target, nothing lost, nothing failed.
        #expect(!report.targets.contains { $0.method == "subscriptions/listen" })
        #expect(report.overview.outcomes["lost"] == 0)
        #expect(report.overview.totalErrors == 0)
        #expect(report.notifications.contains { $0.method == "notifications/tools/list_changed" })
    }

    @Test func aStreamEndsClosedByTheClientOrTheTransportNeverLost() {
        var wire = Wire()
        wire.send(Self.listen, .clientToServer)
        wire.send(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"listen-1"}}"#, .clientToServer, afterMs: 50)
        wire.send(Self.listen.replacingOccurrences(of: "listen-1", with: "listen-2"), .clientToServer)
        wire.send(Self.confirm, .clientToServer)
        _ = wire.recorder.serverGone(at: wire.clock.now())
        let report = wire.store.report()
        #expect(report.overview.streams?.closed == ["client": 1, "transport": 1])
        #expect(report.overview.streams?.open == 0)
        // The call in flight was lost; the streams were not.
        #expect(report.overview.outcomes["lost"] == 1)
        #expect(report.overview.outcomes["cancelled"] == 0)
        // A broken HTTP stream ends a stream too, not as a lost call.
        wire.send(Self.listen.replacingOccurrences(of: "listen-1", with: "listen-3"), .clientToServer)
        let answered = wire.recorder.lose(ids: [RequestID(json: #""listen-3""#)], reason: "broke", at: wire.clock.now())
        #expect(answered.isEmpty)
        #expect(wire.store.report().overview.streams?.closed["transport"] == 2)
        #expect(wire.store.report().overview.outcomes["lost"] == 1)
        wire.send(Self.listen.replacingOccurrences(of: "listen-1", with: "listen-4"), .clientToServer)
        wire.recorder.endStreams(ids: [RequestID(json: #""listen-4""#)], reason: .client, at: wire.clock.now())
        #expect(wire.store.report().overview.streams?.closed["client"] == 2)
    }

    @Test func errorTypesNameTheCodesOfTheRevisionInUse() {
        var wire = Wire()
        // Up to 2025-11-25, -32002 is "resource not found"; -32022 means nothing.
        wire.send(#"{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"file:///a"}}"#, .clientToServer)
        wire.send(#"{"jsonrpc":"2.0","id":1,"error":{"code":-32002,"message":"Resource not found"}}"#, .serverToClient)
        wire.send(#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"t"}}"#, .clientToServer)
        wire.send(#"{"jsonrpc":"2.0","id":2,"error":{"code":-32022,"message":"?"}}"#, .serverToClient)
        #expect(wire.target("file:///a")?.errorTypes == ["resource_not_found": 1])
        #expect(wire.target("t")?.errorTypes == ["-32022": 1])
        // In 2026-07-28 the MCP codes are named; -32002 has no meaning there.
        wire.store.updateSession { $0.protocolVersion = "2026-07-28" }
        wire.send(#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"t"}}"#, .clientToServer)
        wire.send(#"{"jsonrpc":"2.0","id":3,"error":{"code":-32022,"message":"Unsupported protocol version"}}"#, .serverToClient)
        wire.send(#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"t"}}"#, .clientToServer)
        wire.send(#"{"jsonrpc":"2.0","id":4,"error":{"code":-32021,"message":"Missing capability"}}"#, .serverToClient)
        wire.send(#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"t"}}"#, .clientToServer)
        wire.send(#"{"jsonrpc":"2.0","id":5,"error":{"code":-32020,"message":"Header mismatch"}}"#, .serverToClient)
        wire.send(#"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"t"}}"#, .clientToServer)
        wire.send(#"{"jsonrpc":"2.0","id":6,"error":{"code":-32002,"message":"?"}}"#, .serverToClient)
        wire.send(#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"t"}}"#, .clientToServer)
        wire.send(#"{"jsonrpc":"2.0","id":7,"error":{"code":-32603,"message":"Internal error"}}"#, .serverToClient)
        let t = wire.target("t")
        #expect(t?.errorTypes == ["-32022": 1, "unsupported_protocol_version": 1, "missing_required_client_capability": 1,
                                  "header_mismatch": 1, "-32002": 1, "-32603": 1])
        // Both kinds count against the success rate, and are shown apart.
        #expect(t?.errors == 6)
        #expect(t?.clientErrors == 3)
        #expect(t?.serverErrors == 3)
        let overview = wire.store.report().overview
        #expect(overview.clientErrors == 4)
        #expect(overview.serverErrors == 3)
    }

    @Test func theReportWriterWritesTheNewFieldsAsTheEncoderDoes() throws {
        var wire = Wire()
        wire.send(Self.confirm, .clientToServer)
        wire.send(Self.inputRequired, .serverToClient, afterMs: 10)
        wire.send(Self.retry, .clientToServer, afterMs: 50)
        wire.send(Self.confirmed, .serverToClient, afterMs: 20)
        wire.send(Self.listen, .clientToServer)
        let report = wire.store.report()
        let fast = try JSONSerialization.jsonObject(with: ReportJSONWriter.data(report)) as? NSDictionary
        let slow = try JSONSerialization.jsonObject(with: Report.encoder().encode(report)) as? NSDictionary
        #expect(fast != nil && fast == slow)
        let decoded = try Report.decoder().decode(Report.self, from: ReportJSONWriter.data(report))
        #expect(decoded.targets.first { $0.name == "confirm" }?.logical?.rounds == 2)
        #expect(decoded.overview.streams?.open == 1)
    }

    @Test func prometheusShowsLogicalCallsAndStreams() {
        var wire = Wire()
        wire.send(Self.confirm, .clientToServer)
        wire.send(Self.inputRequired, .serverToClient, afterMs: 10)
        wire.send(Self.retry, .clientToServer, afterMs: 500)
        wire.send(Self.confirmed, .serverToClient, afterMs: 20)
        wire.send(Self.listen, .clientToServer)
        wire.send(Self.listChanged, .serverToClient, afterMs: 1)
        var exposition = PrometheusExposition()
        exposition.writeCalls(wire.store.counters(), server: "peer")
        let text = exposition.finish()
        let labels = #"server="peer",network_transport="pipe",mcp_method_name="tools/call",gen_ai_tool_name="confirm""#
        #expect(text.contains(#"mcpwatch_logical_call_duration_seconds_count{\#(labels)} 1"#))
        #expect(text.contains(#"mcpwatch_logical_call_duration_seconds_sum{\#(labels)} 0.53"#))
        #expect(text.contains(#"mcpwatch_logical_call_rounds_total{\#(labels)} 2"#))
        #expect(text.contains(#"mcpwatch_logical_call_client_wait_seconds_total{\#(labels)} 0.5"#))
        #expect(text.contains(#"mcpwatch_calls_total{\#(labels),outcome="input_required"} 1"#))
        #expect(text.contains(#"mcpwatch_streams_open{server="peer",network_transport="pipe",stream="subscriptions/listen"} 1"#))
        #expect(text.contains(#"mcpwatch_stream_notifications_total{server="peer",network_transport="pipe",mcp_method_name="notifications/tools/list_changed"} 1"#))
        // The interim round is not an error: no error_type series for it.
        #expect(!text.contains(#"error_type="input_required""#))
    }
}

/// `Mcp-Method` / `Mcp-Name` against the body (issue 17, item 5).
@Suite struct MCPRequestHeadersTests {
    let call = PostedMessage(requestIDs: [RequestID(1)], method: "tools/call", target: "get_weather")

    @Test func matchingOrAbsentHeadersPass() {
        #expect(MCPRequestHeaders.mismatch(method: "tools/call", name: "get_weather", protocolVersion: "2026-07-28", body: call) == nil)
        // Clients of older revisions send neither.
        #expect(MCPRequestHeaders.mismatch(method: nil, name: nil, protocolVersion: "2025-11-25", body: call) == nil)
        #expect(MCPRequestHeaders.mismatch(method: nil, name: nil, protocolVersion: nil, body: call) == nil)
        let list = PostedMessage(requestIDs: [RequestID(2)], method: "tools/list")
        #expect(MCPRequestHeaders.mismatch(method: "tools/list", name: nil, protocolVersion: "2026-07-28", body: list) == nil)
    }

    @Test func eachKindOfMismatch() {
        #expect(MCPRequestHeaders.mismatch(method: "tools/list", name: "get_weather", protocolVersion: "2026-07-28", body: call) == .headerMethodMismatch)
        #expect(MCPRequestHeaders.mismatch(method: "tools/call", name: "delete_all", protocolVersion: "2026-07-28", body: call) == .headerNameMismatch)
        #expect(MCPRequestHeaders.mismatch(method: "tools/call", name: nil, protocolVersion: "2026-07-28", body: call) == .headerMissing)
        #expect(MCPRequestHeaders.mismatch(method: nil, name: nil, protocolVersion: "2026-07-28", body: call) == .headerMissing)
        // Header values are case-sensitive.
        #expect(MCPRequestHeaders.mismatch(method: "Tools/Call", name: "get_weather", protocolVersion: "2026-07-28", body: call) == .headerMethodMismatch)
    }

    @Test func aBase64NameIsDecodedFirst() {
        let greeting = PostedMessage(requestIDs: [RequestID(1)], method: "prompts/get", target: "Hello, 世界")
        #expect(MCPRequestHeaders.mismatch(method: "prompts/get", name: "=?base64?SGVsbG8sIOS4lueVjA==?=", protocolVersion: "2026-07-28", body: greeting) == nil)
        #expect(MCPRequestHeaders.mismatch(method: "prompts/get", name: "=?base64?bm90IGl0?=", protocolVersion: "2026-07-28", body: greeting) == .headerNameMismatch)
        #expect(MCPRequestHeaders.mismatch(method: "prompts/get", name: "=?base64?%%%?=", protocolVersion: "2026-07-28", body: greeting) == .headerNameMismatch)
        #expect(MCPRequestHeaders.decodedName("plain") == "plain")
    }
}
