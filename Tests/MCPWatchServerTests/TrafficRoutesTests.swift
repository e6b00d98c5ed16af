import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing
@testable import MCPWatchCore
@testable import MCPWatchServer

/// `/api/traffic` and the traffic families of `/metrics`: there when traffic control is configured, absent otherwise.
@Suite struct TrafficRoutesTests {
    static func app(traffic: TrafficStats?) -> some ApplicationProtocol {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let (store, _) = MonitoringServerTests.filledStore()
        var sources = MonitoringSources(store: store)
        sources.traffic = traffic
        let server = MonitoringServer(configuration: .init(), sources: sources, logger: logger)
        return Application(router: server.buildRouter(), logger: logger)
    }

    @Test("off: /api/traffic says so and /metrics has no traffic series")
    func off() async throws {
        try await Self.app(traffic: nil).test(.router) { client in
            try await client.execute(uri: "/api/traffic", method: .get) { response in
                #expect(response.status == .ok)
                let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect(body?["enabled"] as? Bool == false)
                #expect((body?["message"] as? String)?.contains("traffic control is off") == true)
                #expect(body?["traffic"] == nil)
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(!String(buffer: response.body).contains("mcpwatch_traffic_"))
            }
            try await client.execute(uri: "/api/report", method: .get) { response in
                let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect(body?["traffic"] == nil)
            }
        }
    }

    @Test("on: the figures, the server's own latency beside the client's, in the API, the report and /metrics")
    func on() async throws {
        var policy = TrafficPolicy()
        policy.maxConcurrency = 4
        policy.breaker = TrafficPolicy.BreakerSettings()
        let stats = TrafficStats(policy: policy)
        let echo = TargetKey(method: "tools/call", target: "echo")
        stats.admitted(echo, waited: .milliseconds(3))
        stats.completed(echo, clientLatency: .milliseconds(4))
        stats.answered(.rateLimited, echo, clientLatency: .microseconds(20))
        try await Self.app(traffic: stats).test(.router) { client in
            try await client.execute(uri: "/api/traffic", method: .get) { response in
                #expect(response.status == .ok)
                let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect(body?["enabled"] as? Bool == true)
                let traffic = try #require(body?["traffic"] as? [String: Any])
                #expect((traffic["policy"] as? [String: Any])?["max_concurrency"] as? Int == 4)
                #expect((traffic["answered"] as? [String: Any])?["rate_limited"] as? Int == 1)
                let breakers = try #require(traffic["breakers"] as? [[String: Any]])
                #expect(breakers.first?["name"] as? String == "server" && breakers.first?["state"] as? String == "closed")
                let target = try #require((traffic["targets"] as? [[String: Any]])?.first)
                #expect(target["target"] as? String == "echo")
                // The server's own p50 (0.3 ms calls) and the client's (4 ms and 20 µs) are told apart.
                #expect((target["server_latency"] as? [String: Any])?["p50_ms"] as? Double != nil)
                #expect((target["client_latency"] as? [String: Any])?["p50_ms"] as? Double != nil)
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains(#"mcpwatch_traffic_answers_total{server="demo",network_transport="pipe",mcp_method_name="tools/call",gen_ai_tool_name="echo",outcome="rate_limited"} 1"#))
                #expect(text.contains(#"mcpwatch_traffic_breaker_state{server="demo",network_transport="pipe",breaker="server",state="closed"} 1"#))
            }
            try await client.execute(uri: "/api/report", method: .get) { response in
                let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect((body?["traffic"] as? [String: Any])?["admitted"] as? Int == 1)
            }
        }
    }
}
