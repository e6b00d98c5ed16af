import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import MCPWatchStore
import Testing
@testable import MCPWatchCore
@testable import MCPWatchServer

/// `GET /api/series?range=…`: the chart series from the store, across a server's runs, joined to the live seconds.
@Suite struct HistorySeriesRoutesTests {
    static func app(_ sources: MonitoringSources) -> some ApplicationProtocol {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let server = MonitoringServer(configuration: .init(), sources: sources, logger: logger)
        return Application(router: server.buildRouter(), logger: logger)
    }

    static func decode(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any])
    }

    static func calls(_ series: [String: Any], before: Date? = nil, from: Date? = nil) -> Int {
        (series["points"] as? [[String: Any]] ?? []).reduce(0) { total, p in
            let t = (p["time"] as? String).flatMap(RFC3339.date(from:)) ?? .distantPast
            if let before, t >= before { return total }
            if let from, t < from { return total }
            return total + (p["calls"] as? Int ?? 0)
        }
    }

    @Test func withoutAStoreTheLastHourIsThisProcessAndMoreIsRefused() async throws {
        let clock = ManualClock()
        let store = MetricsStore(clock: clock)
        clock.advance(seconds: 10)
        for i in 0..<4 {
            store.record(CompletedCall(method: "tools/call", target: "a", id: RequestID(i), outcome: .ok, durationNanos: 3_000_000, finishedAt: clock.now()))
        }
        clock.advance(seconds: 2)
        try await Self.app(MonitoringSources(store: store, serverName: "srv")).test(.router) { client in
            try await client.execute(uri: "/api/series?range=5m", method: .get) { response in
                #expect(response.status == .ok)
                // The live series' shape, which the page reads.
                let series = try Report.decoder().decode(OverallSeries.self, from: Data(buffer: response.body))
                #expect(series.stepSeconds == 1 && series.points.reduce(0) { $0 + $1.calls } == 4)
                let raw = try Self.decode(response.body)
                #expect(raw["source"] as? String == "live" && raw["resolution"] as? String == "seconds" && raw["range_seconds"] as? Int == 300)
            }
            try await client.execute(uri: "/api/series?range=1h", method: .get) { response in
                let series = try Self.decode(response.body)
                #expect(series["step_seconds"] as? Int == 1, "seconds up to an hour")
            }
            try await client.execute(uri: "/api/series?range=24h", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body).contains("needs the store"))
            }
            for bad in ["soon", "0s", "500d", "-1h"] {
                try await client.execute(uri: "/api/series?range=\(bad)", method: .get) { response in
                    #expect(response.status == .badRequest, "\(bad)")
                }
            }
        }
    }

    @Test func aRestartedServersSeriesGoesOnFromItsEarlierRun() async throws {
        let folder = NSTemporaryDirectory() + "mcpwatch-series-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var settings = StoreSettings()
        settings.path = folder + "/mcpwatch.db"
        // The earlier run: five calls, written, then it ended.
        let earlier = MetricsStore()
        let writer = StoreWriter(settings: settings, identity: StoreIdentity(configuredName: "srv", command: nil, mode: "stdio", transport: "pipe"),
                                 sources: .init(metrics: earlier), logger: Logger(label: "test"))
        for i in 0..<5 {
            earlier.record(CompletedCall(method: "tools/call", target: "a", id: RequestID(i), outcome: .ok, durationNanos: 2_000_000,
                                         finishedAt: earlier.clock.now()))
        }
        #expect(writer.flush(final: true))
        writer.close()
        // This run starts a few seconds later (a manual clock ahead of the store's rows) and makes three calls.
        let clock = ManualClock(wall: Date().addingTimeInterval(3))
        let live = MetricsStore(clock: clock)
        clock.advance(seconds: 5)
        for i in 0..<3 {
            live.record(CompletedCall(method: "tools/call", target: "a", id: RequestID(i), outcome: .ok, durationNanos: 2_000_000, finishedAt: clock.now()))
        }
        clock.advance(seconds: 2)
        var sources = MonitoringSources(store: live, serverName: "srv")
        sources.history = StoreHistory(settings: settings, status: nil)
        try await Self.app(sources).test(.router) { client in
            for range in ["5m", "1h"] {
                try await client.execute(uri: "/api/series?range=\(range)", method: .get) { response in
                    #expect(response.status == .ok)
                    let series = try Self.decode(response.body)
                    #expect(series["source"] as? String == "store+live" && series["step_seconds"] as? Int == 1, "\(range)")
                    #expect(Self.calls(series, before: live.startDate) == 5, "\(range)")
                    #expect(Self.calls(series, from: live.startDate) == 3, "\(range)")
                    let times = (series["points"] as? [[String: Any]] ?? []).compactMap { ($0["time"] as? String).flatMap(RFC3339.date(from:)) }
                    #expect(times == times.sorted() && Set(times).count == times.count)
                }
            }
            // At a coarser step, this run's first bucket may begin before its start and share the earlier run's calls:
            // both runs' calls are counted, each once, in buckets that do not repeat.
            try await client.execute(uri: "/api/series?range=1h&step=12", method: .get) { response in
                let series = try Self.decode(response.body)
                #expect(series["step_seconds"] as? Int == 12 && Self.calls(series) == 8)
                #expect(Self.calls(series, from: live.startDate.addingTimeInterval(-12)) >= 3)
                let times = (series["points"] as? [[String: Any]] ?? []).compactMap { ($0["time"] as? String).flatMap(RFC3339.date(from:)) }
                #expect(times == times.sorted() && Set(times).count == times.count)
            }
            // Beyond the hour, the store alone at minutes: the earlier run (this one has written nothing).
            try await client.execute(uri: "/api/series?range=24h", method: .get) { response in
                let series = try Self.decode(response.body)
                #expect(series["source"] as? String == "store" && series["resolution"] as? String == "minutes")
                #expect(series["step_seconds"] as? Int == 60 && Self.calls(series) == 5)
                #expect((series["points"] as? [Any])?.count ?? 0 >= 1_440)
            }
            // The live series without `range` is as it was: this process's seconds only.
            try await client.execute(uri: "/api/series?seconds=300", method: .get) { response in
                let series = try Self.decode(response.body)
                #expect(Self.calls(series) == 3)
            }
        }
    }
}
