import Foundation
import Testing

@testable import MCPWatchCore

@Suite struct HealthCheckVerdictTests {
    static func body(_ status: HealthReport.Status, summary: String) throws -> [UInt8] {
        let report = HealthReport(status: status, issues: status == .healthy ? [] : [.init(severity: "warning", message: "x")],
                                  summary: summary, serverAlive: status != .unhealthy, errorRateLastMinute: nil,
                                  totalCalls: 12, uptimeSeconds: 30)
        return Array(try Report.encoder().encode(report))
    }

    @Test func healthyInTimeExitsZero() throws {
        let v = HealthCheckVerdict.judge(status: 200, body: try Self.body(.healthy, summary: "healthy: 12 calls, server running"),
                                         elapsed: .milliseconds(3), maxResponseTime: .milliseconds(500), url: "u")
        #expect(v.outcome == .healthy && v.exitCode == 0)
        #expect(v.line == "healthy: 12 calls, server running (3.00 ms)")
        #expect(v.health?.totalCalls == 12)
    }

    @Test func healthyButSlowExitsOne() throws {
        let v = HealthCheckVerdict.judge(status: 200, body: try Self.body(.healthy, summary: "healthy: 12 calls, server running"),
                                         elapsed: .milliseconds(700), maxResponseTime: .milliseconds(500), url: "u")
        #expect(v.outcome == .slow && v.exitCode == 1)
        #expect(v.line == "slow: answered in 700 ms, over the allowed 500 ms; healthy: 12 calls, server running (700 ms)")
        let tiny = HealthCheckVerdict.judge(status: 200, body: try Self.body(.healthy, summary: "healthy: 12 calls, server running"),
                                            elapsed: .microseconds(900), maxResponseTime: .microseconds(1), url: "u")
        #expect(tiny.line.hasPrefix("slow: answered in 900 µs, over the allowed 1 µs"))
    }

    @Test func degradedExitsOneAndUnhealthyTwoEvenWhenSlow() throws {
        let degraded = HealthCheckVerdict.judge(status: 200, body: try Self.body(.degraded, summary: "degraded: x"),
                                                elapsed: .milliseconds(1), maxResponseTime: nil, url: "u")
        #expect(degraded.outcome == .degraded && degraded.exitCode == 1 && degraded.line.hasPrefix("degraded: x"))
        let unhealthy = HealthCheckVerdict.judge(status: 503, body: try Self.body(.unhealthy, summary: "unhealthy: gone"),
                                                 elapsed: .seconds(2), maxResponseTime: .milliseconds(10), url: "u")
        #expect(unhealthy.outcome == .unhealthy && unhealthy.exitCode == 2)
    }

    @Test func refusedKeyAndForeignAnswersAreUnreachable() {
        let refused = HealthCheckVerdict.judge(status: 401, body: Array(#"{"error":"missing or wrong API key"}"#.utf8),
                                               elapsed: .milliseconds(1), maxResponseTime: nil, url: "http://h/api/health")
        #expect(refused.exitCode == 2 && refused.line.contains("refused the API key"))
        let missing = HealthCheckVerdict.judge(status: 401, body: [], elapsed: .milliseconds(1), maxResponseTime: nil,
                                               url: "http://h/api/health", sentKey: false)
        #expect(missing.exitCode == 2 && missing.line.contains("needs an API key (HTTP 401)"))
        let foreign = HealthCheckVerdict.judge(status: 200, body: Array("<html>hello</html>".utf8),
                                               elapsed: .milliseconds(1), maxResponseTime: nil, url: "http://h/api/health")
        #expect(foreign.exitCode == 2 && foreign.line.contains("no health report: http://h/api/health answered HTTP 200 without one: <html>hello</html>"))
        #expect(HealthCheckVerdict.unreachable(url: "http://h", reason: "connection refused").exitCode == 2)
    }
}
