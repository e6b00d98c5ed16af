import Foundation
import GRDB
import MCPWatchCore
import Synchronization

/// The traffic figures the writer stored last, so that a flush with nothing new writes no row.
public final class TrafficStoreCursor: Sendable {
    let last = Mutex<[Int64]?>(nil)

    /// Nothing stored yet.
    public init() {}
}

extension StoreWriter {
    /// One row of `traffic` for the figures now, unless they are those of the last row (an idle proxy writes none).
    func writeTraffic(_ db: Database, instanceID: Int64, now: Date) throws {
        guard let traffic = sources.traffic else { return }
        let s = traffic.snapshot()
        let answered = s.answered
        let targets = s.targets.values
        var values: [Int64] = [Int64(s.queueDepth), Int64(s.queueDepthPeak), Int64(s.inFlight)]
        values.append(Int64(clamping: targets.reduce(0) { $0 &+ $1.admitted }))
        for outcome in [TrafficOutcome.cached, .queuedOut, .rejected, .timedOut, .circuitOpen, .rateLimited] {
            values.append(Int64(clamping: answered[outcome] ?? 0))
        }
        values.append(Int64(clamping: targets.reduce(0) { $0 &+ $1.lateAnswersDropped }))
        values += [Int64(clamping: s.cache.hits), Int64(clamping: s.cache.misses), Int64(clamping: s.cache.evictions)]
        values.append(Int64(clamping: s.transitionCounts.values.reduce(0) { $0 &+ ($1[.open] ?? 0) }))
        values += [Int64(s.cache.entries), Int64(s.cache.bytes), Int64(s.breakers.values.count { $0 != .closed })]
        let cursor = sources.trafficCursor
        if cursor.last.withLock({ $0 == values }) { return }
        let columns = ["queue_depth", "queue_depth_peak", "in_flight"] + StoreSchema.trafficCounters
            + ["cache_entries", "cache_bytes", "breakers_open"]
        try db.execute(sql: """
            INSERT OR REPLACE INTO traffic (instance_id, at, \(columns.joined(separator: ", ")))
            VALUES (?, ?\(String(repeating: ", ?", count: columns.count)))
            """, arguments: StatementArguments([instanceID, Int64(now.timeIntervalSince1970)] + values))
        cursor.last.withLock { $0 = values }
    }
}
