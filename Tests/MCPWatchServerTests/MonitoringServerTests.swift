import CompressNIO
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing
@testable import MCPWatchCore
@testable import MCPWatchServer

@Suite struct MonitoringServerTests {
    /// A store with a few calls, including a hostile tool name.
    static func filledStore() -> (MetricsStore, ManualClock) {
        let clock = ManualClock()
        let store = MetricsStore(clock: clock)
        store.updateSession {
            $0.server = PeerInfo(name: "demo", version: "1")
            $0.serverAlive = true
        }
        for i in 0..<20 {
            store.record(CompletedCall(method: "tools/call", target: "echo", id: RequestID(i), outcome: .ok, durationNanos: 300_000, finishedAt: clock.now()))
        }
        store.record(CompletedCall(method: "tools/call", target: "bad\"name\\with\nnewline", id: RequestID(99), outcome: .jsonrpcError,
                                   durationNanos: 2_000_000, finishedAt: clock.now(), errorCode: -32602, errorMessage: "nope"))
        store.record(CompletedCall(method: "tools/list", target: nil, id: RequestID(100), outcome: .ok, durationNanos: 1_000, finishedAt: clock.now()))
        return (store, clock)
    }

    static func app(_ store: MetricsStore, keys: [String] = [], healthOpen: Bool = false) -> some ApplicationProtocol {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let server = MonitoringServer(
            configuration: .init(apiKeys: keys, healthWithoutKey: healthOpen), sources: MonitoringSources(store: store), logger: logger)
        return Application(router: server.buildRouter(), logger: logger)
    }

    @Test func reportCountsEveryCall() async throws {
        let (store, _) = Self.filledStore()
        try await Self.app(store).test(.router) { client in
            try await client.execute(uri: "/api/report", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.init("Server-Timing")!]?.hasPrefix("app;dur=") == true)
                let report = try Report.decoder().decode(Report.self, from: Data(buffer: response.body))
                #expect(report.overview.totalCalls == 22)
                #expect(report.targets.first { $0.name == "echo" }?.calls == 20)
            }
        }
    }

    @Test func toolDetailWithSeriesAndNameWithSlash() async throws {
        let (store, clock) = Self.filledStore()
        clock.advance(seconds: 20)
        try await Self.app(store).test(.router) { client in
            try await client.execute(uri: "/api/tools/echo?seconds=10", method: .get) { response in
                #expect(response.status == .ok)
                let detail = try Report.decoder().decode(TargetDetail.self, from: Data(buffer: response.body))
                #expect(detail.target.calls == 20)
                #expect(detail.series.count == 10)
                #expect(detail.series.allSatisfy { $0.calls == 0 })
            }
            // Asking for more than the uptime gives the seconds since start only: the calls were in the first.
            try await client.execute(uri: "/api/tools/echo?seconds=60", method: .get) { response in
                let detail = try Report.decoder().decode(TargetDetail.self, from: Data(buffer: response.body))
                #expect(detail.series.count == 21)
                #expect(detail.series.first?.calls == 20)
                #expect(detail.series.first?.avgMs == 0.3)
            }
            try await client.execute(uri: "/api/tools/tools/list", method: .get) { response in
                #expect(response.status == .ok)
            }
            // The hostile name, percent-encoded as a whole, with its failure in the recent errors and its call in
            // the distribution.
            let hostile = "bad\"name\\with\nnewline".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            try await client.execute(uri: "/api/tools/\(hostile)", method: .get) { response in
                #expect(response.status == .ok)
                let detail = try Report.decoder().decode(TargetDetail.self, from: Data(buffer: response.body))
                #expect(detail.target.name == "bad\"name\\with\nnewline")
                #expect(detail.recentErrors.map(\.message) == ["nope"])
                #expect(detail.buckets.first { $0.count > 0 }?.leMs == 2.5)
                #expect(detail.buckets.last?.leMs == nil)
            }
            try await client.execute(uri: "/performance/metrics?tool_name=echo", method: .get) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/api/tools/nothing", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body).contains("no calls to 'nothing'"))
            }
            try await client.execute(uri: "/api/tools/echo?seconds=0", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("'seconds'"))
            }
        }
    }

    @Test func unknownRouteIsJSON404() async throws {
        let (store, _) = Self.filledStore()
        try await Self.app(store).test(.router) { client in
            try await client.execute(uri: "/no/such/thing", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                #expect(String(buffer: response.body).contains("no such endpoint"))
            }
        }
    }

    @Test func metricsAreValidPrometheusTextWithEscapedLabels() async throws {
        let (store, _) = Self.filledStore()
        try await Self.app(store).test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.headers[.contentType] == PrometheusExposition.textContentType)
                let text = String(buffer: response.body)
                #expect(text.contains(#"gen_ai_tool_name="bad\"name\\with\nnewline""#))
                #expect(text.contains(#"mcp_server_operation_duration_seconds_count{server="demo",network_transport="pipe",mcp_method_name="tools/call",gen_ai_tool_name="echo",gen_ai_operation_name="execute_tool"} 20"#))
                #expect(text.contains(#"error_type="-32602""#))
                // Every sample line is NAME{...} VALUE or NAME VALUE: no raw newline leaked into a label.
                for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                    #expect(line.last.map { $0.isNumber || $0 == "f" || $0 == "N" } == true, "bad line: \(line)")
                }
            }
            try await client.execute(uri: "/metrics", method: .get, headers: [.accept: "application/openmetrics-text; version=1.0.0"]) { response in
                #expect(response.headers[.contentType] == PrometheusExposition.openMetricsContentType)
                #expect(String(buffer: response.body).hasSuffix("# EOF\n"))
            }
            try await client.execute(uri: "/api/metrics?format=yaml", method: .get) { response in
                #expect(response.status == .badRequest)
            }
        }
    }

    @Test func oversizedBodiesAre413WithoutReadingThem() async throws {
        let (store, _) = Self.filledStore()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let server = MonitoringServer(configuration: .init(maxRequestBodyBytes: 1_024), sources: MonitoringSources(store: store), logger: logger)
        try await Application(router: server.buildRouter(), logger: logger).test(.router) { client in
            try await client.execute(uri: "/api/report", method: .get, body: ByteBuffer(repeating: 0x41, count: 4_096)) { response in
                #expect(response.status == .contentTooLarge)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                #expect(String(buffer: response.body).contains("limit of 1024 bytes"))
            }
            try await client.execute(uri: "/api/report", method: .get, body: ByteBuffer(repeating: 0x41, count: 512)) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func histogramBucketsAreCumulativeAndMatchTheCounters() async throws {
        let (store, _) = Self.filledStore()
        try await Self.app(store).test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                let echo = #"server="demo",network_transport="pipe",mcp_method_name="tools/call",gen_ai_tool_name="echo""#
                let histogram = echo + #",gen_ai_operation_name="execute_tool""#  // the conventions' histograms only
                let buckets = text.split(separator: "\n").filter { $0.hasPrefix("mcp_server_operation_duration_seconds_bucket{" + histogram + ",le=") }
                let counts = buckets.compactMap { $0.split(separator: " ").last.flatMap { UInt64($0) } }
                #expect(counts.count == DurationBuckets.boundsMicros.count + 1)
                #expect(counts == counts.sorted())
                // 300 µs calls: none at or below 250 µs, all 20 at or below 500 µs.
                #expect(text.contains("mcp_server_operation_duration_seconds_bucket{" + histogram + #",le="0.00025"} 0"#))
                #expect(text.contains("mcp_server_operation_duration_seconds_bucket{" + histogram + #",le="0.0005"} 20"#))
                #expect(text.contains("mcp_server_operation_duration_seconds_bucket{" + histogram + #",le="+Inf"} 20"#))
                #expect(text.contains("mcpwatch_calls_total{" + echo + #",outcome="ok"} 20"#))
                #expect(text.contains(#"mcpwatch_call_errors_total{server="demo",network_transport="pipe",mcp_method_name="tools/call",gen_ai_tool_name="bad\"name\\with\nnewline",error_type="-32602"} 1"#))
            }
        }
    }

    @Test func gzipWhenAccepted() async throws {
        let (store, _) = Self.filledStore()
        try await Self.app(store).test(.router) { client in
            try await client.execute(uri: "/api/report", method: .get, headers: [.acceptEncoding: "br;q=1, gzip;q=0.5"]) { response in
                #expect(response.headers[.contentEncoding] == "gzip")
                var body = response.body
                let plain = try body.decompress(with: .gzip())
                let report = try Report.decoder().decode(Report.self, from: Data(buffer: plain))
                #expect(report.overview.totalCalls == 22)
            }
            try await client.execute(uri: "/api/report", method: .get, headers: [.acceptEncoding: "gzip;q=0"]) { response in
                #expect(response.headers[.contentEncoding] == nil)
            }
        }
    }

    /// The server's own request metrics count the requests that fetch them, so they differ from one body to the next.
    static func withoutHTTPServerSamples(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("http_server_") }.joined(separator: "\n")
    }

    @Test(arguments: [false, true])
    func metricsGzipDecompressesToTheUncompressedText(openMetrics: Bool) async throws {
        let (store, clock) = Self.filledStore()
        for t in 0..<200 {
            store.record(CompletedCall(method: "tools/call", target: "tool-\(t)", id: RequestID(1), outcome: .ok, durationNanos: 300_000,
                                       finishedAt: clock.now()))
        }
        let accept: HTTPFields = openMetrics ? [.accept: "application/openmetrics-text; version=1.0.0"] : [:]
        try await Self.app(store).test(.router) { client in
            let plain = try await client.execute(uri: "/metrics", method: .get, headers: accept) { response in
                #expect(response.headers[.contentEncoding] == nil)
                return String(buffer: response.body)
            }
            #expect(plain.contains(#"gen_ai_tool_name="tool-199""#))
            var gzipHeaders = accept
            gzipHeaders[.acceptEncoding] = "gzip"
            // The first scrape compresses everything, the next ones reuse the unchanged segments; a new call changes some.
            for round in 0..<3 {
                if round == 2 {
                    store.record(CompletedCall(method: "tools/call", target: "tool-17", id: RequestID(1), outcome: .ok, durationNanos: 300_000,
                                               finishedAt: clock.now()))
                }
                let expected = round == 2
                    ? try await client.execute(uri: "/metrics", method: .get, headers: accept) { String(buffer: $0.body) }
                    : plain
                try await client.execute(uri: "/metrics", method: .get, headers: gzipHeaders) { response in
                    #expect(response.headers[.contentEncoding] == "gzip")
                    #expect(response.headers[.contentType] == (openMetrics ? PrometheusExposition.openMetricsContentType : PrometheusExposition.textContentType))
                    var body = response.body
                    let text = String(buffer: try body.decompress(with: .gzip()))
                    #expect(Self.withoutHTTPServerSamples(text) == Self.withoutHTTPServerSamples(expected), "round \(round)")
                }
            }
        }
    }

    @Test func healthFollowsTheServerAndTheErrorRate() async throws {
        let (store, clock) = Self.filledStore()
        try await Self.app(store).test(.router) { client in
            try await client.execute(uri: "/api/health", method: .get) { response in
                #expect(response.status == .ok)
                let health = try Report.decoder().decode(HealthReport.self, from: Data(buffer: response.body))
                #expect(health.status == .healthy)
            }
            for i in 0..<10 {
                store.record(CompletedCall(method: "tools/call", target: "echo", id: RequestID(i), outcome: .toolError, durationNanos: 1, finishedAt: clock.now()))
            }
            try await client.execute(uri: "/api/health", method: .get) { response in
                let health = try Report.decoder().decode(HealthReport.self, from: Data(buffer: response.body))
                #expect(health.status == .degraded)
                #expect(health.issues.first?.message.contains("error rate") == true)
            }
            store.updateSession {
                $0.serverAlive = false
                $0.serverExit = "exited with status 1"
            }
            try await client.execute(uri: "/performance/health", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let health = try Report.decoder().decode(HealthReport.self, from: Data(buffer: response.body))
                #expect(health.status == .unhealthy)
            }
        }
    }

    @Test(arguments: ["/metrics", "/api/report", "/api/tools", "/api/tools/echo", "/api/system", "/api/health", "/system_info",
                      "/performance/metrics", "/performance/health", "/performance/dashboard", "/api/metrics", "/api/alerts",
                      "/performance/alerts", "/api/events", "/nope", "/api/series", "/api/snapshot",
                      "/api/explorer/tools", "/api/explorer/calls"])
    func everyRouteRequiresTheKey(path: String) async throws {
        let (store, _) = Self.filledStore()
        try await Self.app(store, keys: ["s3cret", "other-key"]).test(.router) { client in
            try await client.execute(uri: path, method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(String(buffer: response.body).contains("API key"))
            }
            try await client.execute(uri: path, method: .get, headers: [.init("X-API-Key")!: "s3cre"]) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: path, method: .get, headers: [.authorization: "Bearer other-key"]) { response in
                #expect(response.status != .unauthorized)
            }
            try await client.execute(uri: path, method: .get, headers: [.init("X-API-Key")!: "s3cret"]) { response in
                #expect(response.status != .unauthorized)
            }
        }
    }

    @Test func theDashboardPageLoadsWithoutTheKeySoThatItCanAskForIt() async throws {
        let (store, _) = Self.filledStore()
        try await Self.app(store, keys: ["k"]).test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in #expect(response.status == .ok) }
            try await client.execute(uri: "/assets/dashboard.css", method: .get) { response in #expect(response.status == .ok) }
            try await client.execute(uri: "/api/snapshot", method: .get) { response in #expect(response.status == .unauthorized) }
            try await client.execute(uri: "/api/stream", method: .get) { response in #expect(response.status == .unauthorized) }
        }
    }

    @Test func healthCanStayOpen() async throws {
        let (store, _) = Self.filledStore()
        try await Self.app(store, keys: ["k"], healthOpen: true).test(.router) { client in
            try await client.execute(uri: "/api/health", method: .get) { response in #expect(response.status == .ok) }
            try await client.execute(uri: "/api/report", method: .get) { response in #expect(response.status == .unauthorized) }
        }
    }

    @Test func listenAddresses() throws {
        #expect(try ListenAddress(parsing: "127.0.0.1:9470") == ListenAddress(host: "127.0.0.1", port: 9470))
        #expect(try ListenAddress(parsing: "[::1]:80") == ListenAddress(host: "::1", port: 80))
        #expect(try ListenAddress(parsing: ":9000").isLoopback)
        #expect(try !ListenAddress(parsing: "0.0.0.0:9000").isLoopback)
        #expect(throws: WatchError.self) { try ListenAddress(parsing: "host:99999") }
        #expect(throws: WatchError.self) { try ListenAddress(parsing: "host:http") }
    }
}
