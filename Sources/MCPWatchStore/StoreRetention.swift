import Foundation
import GRDB
import MCPWatchCore

/// Keeps the store within its retention per resolution and within `store.max_size`: past the size, the finest and
/// oldest data goes first (seconds, then the call log and samples, then minutes, then hours), and the freed pages
/// are given back to the file system.
public struct StoreRetention: Sendable {
    /// The settings in force.
    public let settings: StoreSettings

    /// Creates the policy.
    public init(settings: StoreSettings) { self.settings = settings }

    /// Deletes what is past its retention, then the oldest, finest rows while the store is larger than allowed.
    public func apply(_ pool: DatabasePool, now: Date) throws {
        let t = now.timeIntervalSince1970
        try pool.write { db in
            try db.execute(sql: "DELETE FROM series_seconds WHERE at < ?", arguments: [Int64(t - settings.secondsRetention.seconds)])
            try db.execute(sql: "DELETE FROM series_minutes WHERE at < ?", arguments: [Int64(t - settings.minutesRetention.seconds)])
            try db.execute(sql: "DELETE FROM series_hours WHERE at < ?", arguments: [Int64(t - settings.hoursRetention.seconds)])
            // The call log has no index on time, but its ids grow with it: delete up to the newest old row among the
            // oldest 50,000, so a run costs a bounded scan from the start of the table, not a scan of all of it.
            try db.execute(sql: """
                DELETE FROM calls WHERE id <= (SELECT max(id) FROM (SELECT id, at FROM calls ORDER BY id LIMIT 50000) WHERE at < ?)
                """, arguments: [Int64((t - settings.minutesRetention.seconds) * 1_000)])
            try db.execute(sql: "DELETE FROM samples WHERE at < ?", arguments: [Int64(t - settings.minutesRetention.seconds)])
            try db.execute(sql: "DELETE FROM alert_events WHERE at < ?", arguments: [t - settings.hoursRetention.seconds])
            try db.execute(sql: "DELETE FROM traffic WHERE at < ?", arguments: [Int64(t - settings.minutesRetention.seconds)])
        }
        // Finest and oldest first; each pass drops a quarter of one table's oldest rows, then measures again.
        let order: [(table: String, column: String)] = [
            ("series_seconds", "at"), ("calls", "id"), ("samples", "at"), ("series_minutes", "at"), ("series_hours", "at"),
        ]
        var step = 0
        while try usedBytes(pool) > settings.maxSize, step < order.count * 8 {
            let (table, column) = order[step / 8]
            let deleted = try pool.write { db -> Int in
                let rows = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0
                guard rows > 0 else { return 0 }
                guard let cut = try DatabaseValue.fetchOne(
                    db, sql: "SELECT \(column) FROM \(table) ORDER BY \(column) LIMIT 1 OFFSET ?", arguments: [max(0, rows / 4)])
                else { return 0 }
                try db.execute(sql: "DELETE FROM \(table) WHERE \(column) <= ?", arguments: [cut])
                return db.changesCount
            }
            step = deleted == 0 ? (step / 8 + 1) * 8 : step + 1
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA incremental_vacuum") }
        }
    }

    /// Bytes in use: pages minus free pages.
    public func usedBytes(_ pool: DatabasePool) throws -> Int {
        try pool.read { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            let free = try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
            let size = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4_096
            return (pages - free) * size
        }
    }
}

extension Duration {
    /// Whole and fractional seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
