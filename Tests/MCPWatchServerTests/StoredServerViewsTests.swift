import Foundation
import Logging
import MCPWatchCore
import MCPWatchStore
import Testing
@testable import MCPWatchServer

/// A stopped server's views through the front door's history (``StoreFleetHistory``), from a store a real writer
/// wrote: the live endpoints' shapes (decoded with the live types), and clear refusals for what needs the process.
@Suite struct StoredServerViewsTests {
    struct Written {
        let folder: String
        let history: StoreFleetHistory
    }

    /// A store with one finished run of "gone": initialize and two calls of `echo` (one failed).
    static func written() throws -> Written {
        let folder = NSTemporaryDirectory() + "mcpwatch-views-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var settings = StoreSettings()
        settings.path = folder + "/mcpwatch.db"
        let metrics = MetricsStore()
        let writer = StoreWriter(settings: settings, identity: StoreIdentity(configuredName: "gone", command: "gone --stdio", mode: "stdio", transport: "pipe"),
                                 sources: .init(metrics: metrics), logger: Logger(label: "test"))
        let now = metrics.clock.now()
        metrics.record(CompletedCall(method: "initialize", target: nil, id: RequestID(1), outcome: .ok, durationNanos: 2_000_000, finishedAt: now))
        metrics.record(CompletedCall(method: "tools/call", target: "echo", id: RequestID(2), outcome: .ok, durationNanos: 5_000_000, finishedAt: now,
                                     requestBytes: 80, responseBytes: 120))
        metrics.record(CompletedCall(method: "tools/call", target: "echo", id: RequestID(3), outcome: .toolError, durationNanos: 9_000_000,
                                     finishedAt: now, requestBytes: 80, responseBytes: 60, errorMessage: "no"))
        #expect(writer.flush(final: true))
        writer.close()
        return Written(folder: folder, history: StoreFleetHistory(StoreHistory(settings: settings, status: nil)))
    }

    static func answer(_ w: Written, _ path: String, _ query: String = "") async throws -> FleetHistoryAnswer {
        try #require(await w.history.answer(server: "gone", path: path, query: query))
    }

    @Test func theReportToolsAndOneToolAreTheLiveShapes() async throws {
        let w = try Self.written()
        defer { try? FileManager.default.removeItem(atPath: w.folder) }
        let report = try Report.decoder().decode(Report.self, from: try await Self.answer(w, "/api/report").body)
        #expect(report.serverName == "gone")
        #expect(report.session.serverAlive == false)
        #expect(report.overview.totalCalls == 3 && report.overview.totalErrors == 1)
        let echo = try #require(report.targets.first { $0.name == "echo" })
        #expect(echo.method == "tools/call" && echo.target == "echo" && echo.calls == 2 && echo.errors == 1)
        #expect(echo.outcomes["tool_error"] == 1 && echo.requestBytes.total == 160)
        #expect(abs(try #require(echo.p99Ms) - 9) <= 0.1)
        #expect(report.targets.contains { $0.name == "initialize" && $0.target == nil })

        let tools = try JSONSerialization.jsonObject(with: try await Self.answer(w, "/api/tools", "method=tools%2Fcall").body) as? [String: Any]
        #expect((tools?["tools"] as? [[String: Any]])?.map { $0["name"] as? String } == ["echo"])
        let detail = try Report.decoder().decode(TargetDetail.self, from: try await Self.answer(w, "/api/tools/echo", "seconds=60").body)
        #expect(detail.target.calls == 2 && detail.series.reduce(0) { $0 + Int($1.calls) } == 2)
        let missing = try await Self.answer(w, "/api/tools/nothing")
        #expect(missing.status == 404)
    }

    @Test func theSeriesSnapshotAndHealthSayStopped() async throws {
        let w = try Self.written()
        defer { try? FileManager.default.removeItem(atPath: w.folder) }
        for query in ["range=1h", "range=24h", "seconds=300", "range=30d"] {
            let series = try JSONSerialization.jsonObject(with: try await Self.answer(w, "/api/series", query).body) as? [String: Any]
            let points = series?["points"] as? [[String: Any]] ?? []
            #expect(points.reduce(0) { $0 + ($1["calls"] as? Int ?? 0) } == 3, "\(query)")
            #expect(series?["source"] as? String == "store")
        }
        let day = try JSONSerialization.jsonObject(with: try await Self.answer(w, "/api/series", "range=24h").body) as? [String: Any]
        #expect(day?["resolution"] as? String == "minutes" && day?["step_seconds"] as? Int == 60)
        #expect((try await Self.answer(w, "/api/series", "range=soon")).status == 400)

        let snapshot = try JSONSerialization.jsonObject(with: try await Self.answer(w, "/api/snapshot").body) as? [String: Any]
        #expect(snapshot?["stopped"] as? Bool == true && snapshot?["server_alive"] as? Bool == false)
        #expect((snapshot?["tools"] as? [[String: Any]])?.count == 2)
        let health = try Report.decoder().decode(HealthReport.self, from: try await Self.answer(w, "/api/health").body)
        #expect(health.status == .degraded && health.summary.contains("has stopped") && health.serverAlive == false)
    }

    @Test func whatNeedsTheProcessIsRefusedWithAReason() async throws {
        let w = try Self.written()
        defer { try? FileManager.default.removeItem(atPath: w.folder) }
        for (path, status, words) in [("/api/stream", 410, "no live stream"), ("/api/events", 410, "no live stream"),
                                      ("/api/explorer/tools", 409, "explorer can only call a running server"),
                                      ("/api/call_tool", 409, "explorer can only call a running server")] {
            let answer = try await Self.answer(w, path)
            #expect(answer.status == status, "\(path)")
            let body = try JSONSerialization.jsonObject(with: answer.body) as? [String: [String: Any]]
            #expect((body?["error"]?["message"] as? String)?.contains(words) == true, "\(path)")
            #expect(body?["error"]?["status"] as? Int == status)
        }
        #expect(try JSONSerialization.jsonObject(with: try await Self.answer(w, "/api/explorer/calls").body) as? [String: [String]] == ["calls": []])
        // Not a per-server view, or a server the store never saw: no answer (the front door says 404).
        #expect(await w.history.answer(server: "gone", path: "/api/nothing", query: "") == nil)
        #expect(await w.history.answer(server: "never", path: "/api/report", query: "") == nil)
        // Its p95 over a window, from the summed histograms.
        let p95 = await w.history.p95(servers: ["gone", "never"], window: .seconds(300))
        #expect(p95.keys.sorted() == ["gone"])
        #expect(abs(try #require(p95["gone"]) - 9) <= 0.1)
    }
}
