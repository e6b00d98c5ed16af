import Foundation
import GRDB
import MCPWatchCore
import Testing
@testable import MCPWatchStore

@Suite("Store writer")
struct StoreWriterTests {
    @Test("a flush writes each target's deltas, and a range's figures equal the calls made")
    func flushWritesDeltas() throws {
        let f = StoreFixture()
        defer { f.remove() }
        for i in 1...50 { f.record("search", micros: UInt64(i) * 1_000) }
        f.record("search", micros: 7_000, outcome: .jsonrpcError, errorCode: -32603)
        #expect(f.writer.flush())
        f.clock.advance(seconds: 1)
        for i in 1...50 { f.record("search", micros: UInt64(i) * 1_000) }
        f.record("fetch", micros: 2_000, outcome: .toolError)
        #expect(f.writer.flush(final: true))
        f.writer.close()

        let now = f.clock.wallNow()
        let reports = try f.reader().report(server: "test-server", since: now.addingTimeInterval(-600), until: now.addingTimeInterval(1), now: now)
        let report = try #require(reports.first)
        #expect(report.resolution == "seconds")
        #expect(report.total.calls == 102)
        #expect(report.total.errors == 2)
        let search = try #require(report.targets.first { $0.target == "search" })
        #expect(search.calls == 101)
        #expect(search.errorTypes == ["-32603": 1])
        #expect(search.outcomes["jsonrpc_error"] == 1)
        // Percentiles of the summed histograms: the in-memory store's own, to within the layout's 1 %.
        let live = try #require(f.metrics.report().targets.first { $0.name == "search" })
        #expect(abs(try #require(search.p95Ms) - (try #require(live.p95Ms))) <= live.p95Ms! * 0.011)
        #expect(abs(try #require(search.p50Ms) - (try #require(live.p50Ms))) <= live.p50Ms! * 0.011)
        #expect(search.requestBytes == 101 * 100)
        // Minutes and hours hold the same sums as seconds.
        let pool = try DatabasePool(path: f.path)
        for table in ["series_seconds", "series_minutes", "series_hours"] {
            let calls = try pool.read { try Int.fetchOne($0, sql: "SELECT sum(calls) FROM \(table)") }
            #expect(calls == 102, "\(table)")
        }
        let instance = try #require(try f.reader().instances(server: "test-server").first)
        #expect(instance.endedAt != nil)
        #expect(instance.mode == "stdio")
    }

    @Test("the call log keeps every failure and at most the bound of successes per target and second")
    func callLogBound() throws {
        let f = StoreFixture()
        defer { f.remove() }
        for _ in 0..<30 { f.record("fast", micros: 100) }
        for _ in 0..<5 { f.record("fast", micros: 100, outcome: .toolError) }
        #expect(f.writer.flush())
        let calls = try f.reader().calls(CallQuery())
        #expect(calls.filter { $0.outcome == "ok" }.count == f.metrics.callLog.successesPerTargetPerSecond)
        #expect(calls.filter { $0.outcome == "tool_error" }.count == 5)
        #expect(f.writer.status.snapshot.callLogSampledOut == 20)
        // The figures stay exact.
        let now = f.clock.wallNow()
        let report = try #require(try f.reader().report(since: now.addingTimeInterval(-60), until: now.addingTimeInterval(1), now: now).first)
        #expect(report.total.calls == 35)

        var failures = CallQuery()
        failures.outcome = "error"
        failures.minDurationMs = 0.05
        let failed = try f.reader().calls(failures)
        #expect(failed.count == 5)
        #expect(failed.allSatisfy { $0.server == "test-server" && $0.target == "fast" && $0.errorMessage == "it failed" })
        var one = CallQuery()
        one.id = failed[0].id
        #expect(try f.reader().calls(one) == [failed[0]])
    }

    @Test("a server without --name is named by its command until it says its serverInfo name, then by that")
    func serverNaming() throws {
        let f = StoreFixture(name: nil)
        defer { f.remove() }
        f.record("a", micros: 1_000)
        #expect(f.writer.flush())
        #expect(try f.reader().servers(now: f.clock.wallNow()).map(\.name) == ["test-server --stdio"])
        f.metrics.updateSession { $0.server = PeerInfo(name: "Echo", version: "1.0") }
        f.clock.advance(seconds: 1)
        f.record("a", micros: 1_000)
        #expect(f.writer.flush())
        let servers = try f.reader().servers(now: f.clock.wallNow())
        #expect(servers.map(\.name) == ["Echo"])
        #expect(servers[0].calls == 2)
        #expect(servers[0].namedBy == "serverInfo")
        #expect(servers[0].running)
    }

    @Test("a server's history runs across instances")
    func historyAcrossInstances() throws {
        let first = StoreFixture()
        defer { first.remove() }
        first.record("a", micros: 1_000)
        #expect(first.writer.flush(final: true))
        first.writer.close()
        // A second run (a restarted client) writes to the same file.
        let clock = first.clock
        clock.advance(seconds: 5)
        let metrics = MetricsStore(clock: clock)
        var settings = StoreSettings()
        settings.path = first.path
        let second = StoreWriter(settings: settings, identity: StoreIdentity(configuredName: "test-server", command: nil, mode: "stdio", transport: "pipe"),
                                 sources: .init(metrics: metrics), logger: .init(label: "t"), now: { clock.wallNow() })
        metrics.record(CompletedCall(method: "tools/call", target: "a", id: RequestID(2), outcome: .ok, durationNanos: 1_000_000, finishedAt: clock.now()))
        #expect(second.flush(final: true))
        second.close()
        let reader = try first.reader()
        #expect(try reader.instances(server: "test-server").count == 2)
        let servers = try reader.servers(now: clock.wallNow())
        #expect(servers.count == 1)
        #expect(servers[0].calls == 2)
        #expect(!servers[0].running)
    }

    @Test("20 writers on one file at once lose no write to the lock")
    func concurrentWriters() async throws {
        let folder = NSTemporaryDirectory() + "mcpwatch-store-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/mcpwatch.db"
        let fixtures = (0..<20).map { StoreFixture(name: "server-\($0)", path: path) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for f in fixtures {
                group.addTask {
                    for round in 0..<20 {
                        for _ in 0..<50 { f.record("tool-\(round % 5)", micros: 500) }
                        f.clock.advance(seconds: 1)
                        f.writer.flush()
                    }
                    // A flush that met a lock past the busy timeout keeps its rows for the next.
                    while !f.writer.flush(final: true) {}
                    f.writer.close()
                }
            }
            try await group.waitForAll()
        }
        let now = fixtures[0].clock.wallNow()
        let reports = try StoreReader(path: path).report(since: now.addingTimeInterval(-3_000), until: now.addingTimeInterval(1), now: now)
        #expect(reports.count == 20)
        #expect(reports.allSatisfy { $0.total.calls == 1_000 })
    }

    @Test("retention drops seconds after an hour and keeps minutes and hours")
    func retention() throws {
        let f = StoreFixture()
        defer { f.remove() }
        f.record("a", micros: 1_000)
        #expect(f.writer.flush())
        f.clock.advance(seconds: 2 * 3_600)
        f.record("a", micros: 1_000)
        #expect(f.writer.flush())
        let pool = try DatabasePool(path: f.path)
        let seconds = try pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM series_seconds") }
        let minutes = try pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM series_minutes") }
        #expect(seconds == 1)
        #expect(minutes == 2)
        // Eight days on, the call log keeps only what is within its 7 days.
        f.clock.advance(seconds: 8 * 86_400)
        f.record("a", micros: 1_000)
        #expect(f.writer.flush())
        let calls = try pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM calls") }
        #expect(calls == 1)
    }

    @Test("past max_size the finest, oldest rows go first")
    func maxSize() throws {
        var settings = StoreSettings()
        settings.maxSize = 256 << 10
        let f = StoreFixture(settings: settings)
        defer { f.remove() }
        for second in 0..<400 {
            for t in 0..<40 { f.record("tool-\(t)", micros: UInt64(100 + second)) }
            f.clock.advance(seconds: 1)
            #expect(f.writer.flush())
        }
        f.clock.advance(seconds: 61)
        #expect(f.writer.flush(final: true))
        let pool = try DatabasePool(path: f.path)
        let used = try StoreRetention(settings: settings).usedBytes(pool)
        #expect(used <= settings.maxSize)
        let (seconds, hours) = try pool.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM series_seconds") ?? 0, try Int.fetchOne(db, sql: "SELECT sum(calls) FROM series_hours") ?? 0)
        }
        #expect(seconds < 400 * 40)
        #expect(hours == 400 * 40)
    }
}
