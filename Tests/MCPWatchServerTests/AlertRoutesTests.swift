import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing
@testable import MCPWatchCore
@testable import MCPWatchServer

@Suite struct AlertRoutesTests {
    static func app(_ store: MetricsStore, alerts: AlertEngine?) -> some ApplicationProtocol {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let server = MonitoringServer(configuration: .init(), sources: MonitoringSources(store: store, alerts: alerts), logger: logger)
        return Application(router: server.buildRouter(), logger: logger)
    }

    static func firingEngine() -> (MetricsStore, AlertEngine) {
        let (store, _) = MonitoringServerTests.filledStore()
        let rule = AlertRule(name: "echo_slow", metric: .latencyAvg, scope: .each(methods: ["tools/call"], targets: ["echo"]),
                             window: .seconds(60), warning: 0.1, critical: 10, minimumSamples: 5)
        let engine = AlertEngine(rules: [rule], store: store)
        engine.tick()
        return (store, engine)
    }

    @Test func alertsAreListedAndFiltered() async throws {
        let (store, engine) = Self.firingEngine()
        try await Self.app(store, alerts: engine).test(.router) { client in
            for path in ["/api/alerts", "/performance/alerts"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .ok)
                    let report = try Report.decoder().decode(AlertsReport.self, from: Data(buffer: response.body))
                    #expect(report.active.map(\.id) == ["echo_slow:tools/call:echo"])
                    #expect(report.active.first?.state == .firing && report.active.first?.severity == .warning)
                    #expect(report.firing["warning"] == 1 && report.history.map(\.kind) == [.firing])
                    #expect(report.rules.map(\.name) == ["echo_slow"])
                }
            }
            try await client.execute(uri: "/api/alerts?state=resolved&target=ech*", method: .get) { response in
                let report = try Report.decoder().decode(AlertsReport.self, from: Data(buffer: response.body))
                #expect(report.active.isEmpty && report.history.isEmpty)
            }
            try await client.execute(uri: "/api/alerts?severity=warning&target=ech*", method: .get) { response in
                let report = try Report.decoder().decode(AlertsReport.self, from: Data(buffer: response.body))
                #expect(report.active.count == 1 && report.history.count == 1)
            }
            for (query, word) in [("state=burning", "state"), ("severity=high", "severity"), ("limit=-1", "limit")] {
                try await client.execute(uri: "/api/alerts?\(query)", method: .get) { response in
                    #expect(response.status == .badRequest)
                    #expect(String(buffer: response.body).contains("parameter '\(word)'"))
                }
            }
        }
    }

    @Test func healthAndMetricsShowFiringAlerts() async throws {
        let (store, engine) = Self.firingEngine()
        try await Self.app(store, alerts: engine).test(.router) { client in
            try await client.execute(uri: "/api/health", method: .get) { response in
                #expect(response.status == .ok)
                let health = try Report.decoder().decode(HealthReport.self, from: Data(buffer: response.body))
                #expect(health.status == .degraded)
                #expect(health.issues.map(\.alert) == ["echo_slow:tools/call:echo"])
                #expect(health.summary.hasPrefix("degraded: latency_avg of echo is 0.30 ms over 1m"))
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains(#"mcpwatch_alert_firing{server="demo",alertname="echo_slow",severity="warning",mcp_method_name="tools/call",target="echo"} 1"#))
                #expect(text.contains(#"mcpwatch_alerts{server="demo",state="firing",severity="warning"} 1"#))
            }
        }
    }

    @Test func criticalAlertMakesHealthUnhealthy() async throws {
        let (store, _) = MonitoringServerTests.filledStore()
        let engine = AlertEngine(rules: [AlertRule(name: "calls", metric: .callsPerSecond, window: .seconds(60), warning: 0.01, critical: 0.1)], store: store)
        engine.tick()
        try await Self.app(store, alerts: engine).test(.router) { client in
            try await client.execute(uri: "/api/health", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let health = try Report.decoder().decode(HealthReport.self, from: Data(buffer: response.body))
                #expect(health.status == .unhealthy && health.issues.first?.severity == "critical")
            }
        }
    }

    @Test func alertRoutesSayWhenAlertsAreOff() async throws {
        let (store, _) = MonitoringServerTests.filledStore()
        try await Self.app(store, alerts: nil).test(.router) { client in
            for path in ["/api/alerts", "/api/events"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .notFound)
                    #expect(String(buffer: response.body).contains("alerts are switched off"))
                }
            }
        }
    }
}
