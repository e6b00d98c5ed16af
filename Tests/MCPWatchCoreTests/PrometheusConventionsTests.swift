import Foundation
import Testing
@testable import MCPWatchCore

/// `/metrics` by the OpenTelemetry MCP conventions: labels, the conventions' buckets on offer, resource URIs opt-in,
/// session durations (IntegrationTests/test_conventions.py checks the same against a running mcpwatch).
@Suite struct PrometheusConventionsTests {
    static func store() -> (MetricsStore, ManualClock) {
        let clock = ManualClock()
        let store = MetricsStore(clock: clock)
        store.updateSession {
            $0.server = PeerInfo(name: "demo", version: "1")
            $0.protocolVersion = "2025-11-25"
        }
        func call(_ method: String, _ target: String?, _ outcome: CallOutcome, micros: UInt64, code: Int? = nil, id: Int) {
            store.record(CompletedCall(method: method, target: target, id: RequestID(id), outcome: outcome, durationNanos: micros * 1_000,
                                       finishedAt: clock.now(), errorCode: code, errorMessage: code.map { _ in "no" }))
        }
        call("tools/call", "echo", .ok, micros: 300, id: 1)
        call("tools/call", "echo", .ok, micros: 15_000, id: 2)
        call("tools/call", "fail", .toolError, micros: 2_000, id: 3)
        call("tools/call", "nope", .jsonrpcError, micros: 1_000, code: -32602, id: 4)
        call("resources/read", "note://1", .ok, micros: 700, id: 5)
        call("resources/read", "note://2", .ok, micros: 70_000, id: 6)
        call("resources/read", "note://3", .jsonrpcError, micros: 500, code: -32002, id: 7)
        call("prompts/get", "greet", .ok, micros: 900, id: 8)
        return (store, clock)
    }

    static func text(_ store: MetricsStore, transport: String = "pipe", _ options: PrometheusOptions = PrometheusOptions()) -> String {
        var exposition = PrometheusExposition()
        exposition.writeCalls(store.counters(), server: "demo", transport: transport, options: options)
        return exposition.finish()
    }

    static func lines(_ text: String, _ prefix: String) -> [Substring] {
        text.split(separator: "\n").filter { $0.hasPrefix(prefix) }
    }

    @Test func operationLabelsFollowTheConventions() {
        let text = Self.text(Self.store().0)
        let base = #"server="demo",network_transport="pipe",mcp_method_name="tools/call""#
        #expect(text.contains(#"mcp_server_operation_duration_seconds_count{"# + base + #",gen_ai_tool_name="echo",gen_ai_operation_name="execute_tool",mcp_protocol_version="2025-11-25"} 2"#))
        // error.type on failures; rpc.response.status_code where the answer had a JSON-RPC code.
        #expect(text.contains(#"gen_ai_tool_name="fail",gen_ai_operation_name="execute_tool",mcp_protocol_version="2025-11-25",error_type="tool_error"} 1"#))
        #expect(text.contains(#"gen_ai_tool_name="nope",gen_ai_operation_name="execute_tool",mcp_protocol_version="2025-11-25",error_type="-32602",rpc_response_status_code="-32602"} 1"#))
        // The name mcpwatch gives an MCP code keeps its number beside it.
        #expect(text.contains(#"error_type="resource_not_found",rpc_response_status_code="-32002"} 1"#))
        // gen_ai.operation.name only on tool calls; prompts keep their name label.
        #expect(text.contains(#"mcp_server_operation_duration_seconds_count{server="demo",network_transport="pipe",mcp_method_name="prompts/get",gen_ai_prompt_name="greet",mcp_protocol_version="2025-11-25"} 1"#))
        for line in Self.lines(text, "mcp_server_operation_duration_seconds") where !line.contains("tools/call") {
            #expect(!line.contains("gen_ai_operation_name"), "\(line)")
        }
        // mcpwatch's own families keep their labels: no series starts anew at initialize.
        #expect(text.contains(#"mcpwatch_calls_total{"# + base + #",gen_ai_tool_name="echo",outcome="ok"} 2"#))
        #expect(!text.contains("network_protocol_name"))
        #expect(Self.text(Self.store().0, transport: "tcp").contains(#"mcp_protocol_version="2025-11-25",network_protocol_name="http"} 2"#))
    }

    @Test func resourceURIsAreOptIn() {
        let (store, _) = Self.store()
        let folded = Self.text(store)
        #expect(!folded.contains("mcp_resource_uri"))
        // Every read under its method: two ok, one failed, counted once each.
        #expect(folded.contains(#"mcp_server_operation_duration_seconds_count{server="demo",network_transport="pipe",mcp_method_name="resources/read",mcp_protocol_version="2025-11-25"} 2"#))
        #expect(folded.contains(#"mcpwatch_calls_total{server="demo",network_transport="pipe",mcp_method_name="resources/read",outcome="ok"} 2"#))
        #expect(folded.contains(#"mcpwatch_calls_total{server="demo",network_transport="pipe",mcp_method_name="resources/read",outcome="jsonrpc_error"} 1"#))
        #expect(folded.contains(#"mcp_server_operation_duration_seconds_bucket{server="demo",network_transport="pipe",mcp_method_name="resources/read",mcp_protocol_version="2025-11-25",le="0.001"} 1"#))
        #expect(Self.lines(folded, "mcpwatch_calls_in_flight{").count == 5)  // echo, fail, nope, resources/read, greet

        let opted = Self.text(store, PrometheusOptions(resourceURI: true))
        #expect(opted.contains(#"mcp_method_name="resources/read",mcp_resource_uri="note://1",mcp_protocol_version="2025-11-25"} 1"#))
        #expect(opted.contains(#"mcp_method_name="resources/read",mcp_resource_uri="note://2",outcome="ok"} 1"#))
        #expect(Self.lines(opted, "mcpwatch_calls_in_flight{").count == 7)
    }

    @Test func theConventionsBucketsAreTheFineOnesAtTheirBounds() {
        let (store, _) = Self.store()
        let echo = #"mcp_server_operation_duration_seconds_bucket{server="demo",network_transport="pipe",mcp_method_name="tools/call",gen_ai_tool_name="echo",gen_ai_operation_name="execute_tool",mcp_protocol_version="2025-11-25",le="#
        let fine = Self.lines(Self.text(store), echo)
        let conventions = Self.lines(Self.text(store, PrometheusOptions(buckets: .conventions)), echo)
        #expect(fine.count == DurationBuckets.boundsMicros.count + 1)
        #expect(conventions.count == PrometheusOptions.conventionBoundsMicros.count + 1)
        let bounds = conventions.map { $0.dropFirst(echo.count).split(separator: "\"")[0] }
        #expect(bounds == ["0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1", "2", "5", "10", "30", "60", "120", "300", "+Inf"])
        // Each is the fine line of the same bound: the same count.
        #expect(conventions.allSatisfy { fine.contains($0) })
        #expect(conventions.first == Substring(echo + #""0.01"} 1"#))  // the 300 µs call; the 15 ms one is above
        #expect(conventions.last == Substring(echo + #""+Inf"} 2"#))
    }

    @Test func theSettingsAreReadAndKeepTheHTTPSectionInOnePiece() {
        var config = WatchConfiguration()
        #expect(config.prometheus == PrometheusOptions())
        #expect(config.apply(environment: ["MCPWATCH_HTTP_METRICS_BUCKETS": "conventions", "MCPWATCH_HTTP_METRICS_RESOURCE_URI": "true"]).isEmpty)
        #expect(config.prometheus == PrometheusOptions(buckets: .conventions, resourceURI: true))
        #expect(config.apply(environment: ["MCPWATCH_HTTP_METRICS_BUCKETS": "otel"]).map(\.message) == ["expected fine or conventions, found 'otel'"])
        // Every section's keys are together, so `config check` writes each section once.
        let sections = ConfigSchema.settings.map { $0.key.prefix { $0 != "." } }
        var seen: [Substring] = []
        for section in sections where seen.last != section {
            #expect(!seen.contains(section), "\(section) is split")
            seen.append(section)
        }
        #expect(config.renderYAML().components(separatedBy: "\nhttp:\n").count == 2)
        #expect(config.renderYAML().contains("  metrics_buckets: conventions\n"))
    }

    @Test func endedSessionsHaveADurationPerProtocolVersion() {
        let (store, clock) = Self.store()
        #expect(!Self.text(store).contains("mcp_server_session_duration_seconds"))
        store.sessions.open(id: "a", protocolVersion: "2025-11-25")
        store.sessions.open(id: "b")
        clock.advance(seconds: 3)
        store.sessions.close(id: "a")
        store.sessions.close(id: "a")  // ended twice (DELETE, then a 404): counted once
        store.sessions.open(id: "a")  // seen again and ended again: still the one session
        store.sessions.close(id: "a")
        store.sessions.close(id: "unknown")
        clock.advance(seconds: 40)
        store.sessions.close(id: "b")
        let text = Self.text(store, transport: "tcp")
        let common = #"server="demo",network_transport="tcp",network_protocol_name="http""#
        #expect(text.contains("# TYPE mcp_server_session_duration_seconds histogram"))
        #expect(text.contains("mcp_server_session_duration_seconds_count{" + common + #",mcp_protocol_version="2025-11-25"} 1"#))
        #expect(text.contains("mcp_server_session_duration_seconds_sum{" + common + #",mcp_protocol_version="2025-11-25"} 3"#))
        #expect(text.contains("mcp_server_session_duration_seconds_bucket{" + common + #",mcp_protocol_version="2025-11-25",le="2"} 0"#))
        #expect(text.contains("mcp_server_session_duration_seconds_bucket{" + common + #",mcp_protocol_version="2025-11-25",le="5"} 1"#))
        #expect(text.contains("mcp_server_session_duration_seconds_count{" + common + "} 1"))  // b: no initialize seen
        #expect(text.contains("mcp_server_session_duration_seconds_bucket{" + common + #",le="30"} 0"#))
        #expect(text.contains("mcp_server_session_duration_seconds_bucket{" + common + #",le="60"} 1"#))
    }
}
