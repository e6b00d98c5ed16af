import Foundation
import GRDB
import Logging
import Testing
@testable import MCPWatchCore
@testable import MCPWatchStore

/// The `traffic` table (`v2_traffic`): a row per flush that saw a change, and a range's figures read back from it.
@Suite struct StoreTrafficTests {
    @Test("traffic figures are stored per flush, idle flushes write nothing, and a range reads the differences")
    func storedAndRead() throws {
        let folder = NSTemporaryDirectory() + "mcpwatch-store-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var settings = StoreSettings()
        let path = folder + "/mcpwatch.db"
        settings.path = path
        let clock = ManualClock()
        let metrics = MetricsStore(clock: clock)
        let stats = TrafficStats(policy: TrafficPolicy())
        var sources = StoreWriter.Sources(metrics: metrics)
        sources.traffic = stats
        let writer = StoreWriter(settings: settings, identity: StoreIdentity(configuredName: "fragile", command: "fragile", mode: "stdio", transport: "pipe"),
                                 sources: sources, logger: Logger(label: "test"), now: { clock.wallNow() })
        let key = TargetKey(method: "tools/list", target: nil)
        stats.answered(.cached, key, clientLatency: .microseconds(20))
        stats.queueChanged(depth: 7, inFlight: 2)
        #expect(writer.flush())
        let early = clock.wallNow()
        clock.advance(seconds: 1)
        #expect(writer.flush())  // nothing new: no row
        clock.advance(seconds: 1)
        for _ in 0..<3 { stats.answered(.cached, key, clientLatency: .microseconds(20)) }
        stats.answered(.rateLimited, key, clientLatency: .microseconds(20))
        stats.admitted(key, waited: .zero)
        stats.queueChanged(depth: 0, inFlight: 0)
        var cache = ResponseCache.Statistics()
        cache.hits = 4
        cache.misses = 1
        stats.cacheChanged(cache)
        #expect(writer.flush(final: true))
        writer.close()

        let pool = try DatabasePool(path: path)
        #expect(try pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM traffic") } == 2)
        let reader = try StoreReader(path: path)
        let now = clock.wallNow()
        let all = try #require(try reader.traffic(since: now.addingTimeInterval(-600), until: now.addingTimeInterval(1))["fragile"])
        #expect(all.answered["cached"] == 4 && all.answered["rate_limited"] == 1 && all.admitted == 1)
        #expect(all.cacheHits == 4 && all.cacheMisses == 1 && all.queueDepthMax == 7)
        // From after the first flush: only what came since.
        let later = try #require(try reader.traffic(server: "fragile", since: early.addingTimeInterval(1), until: now.addingTimeInterval(1))["fragile"])
        #expect(later.answered["cached"] == 3 && later.queueDepthMax == 0)
        #expect(try reader.traffic(server: "nobody", since: early.addingTimeInterval(-600)).isEmpty)
    }
}
