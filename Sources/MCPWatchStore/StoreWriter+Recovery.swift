import Foundation
import GRDB
import MCPWatchCore

extension StoreWriter {
    /// How long an instance on another host must have been silent before its open minute is rebuilt (on this host,
    /// a process that is gone is enough).
    static let otherHostSilence: Double = 600

    /// Rebuilds the open minute (and its hour) of every instance that ended without its last flush (a SIGKILL, a
    /// crash), from its seconds rows from `rolled_through` on, so that the minutes and hours tables lose nothing the
    /// seconds table has. Runs before retention, which could otherwise drop those seconds first.
    ///
    /// An instance is taken when it is not this writer's, has not ended, and its process is gone (same host) or it
    /// has been silent for ``otherHostSilence``. Idempotent: rows are replaced, and `rolled_through` moves past them.
    func recoverAbandoned(_ db: Database, now: Date, except own: Int64?) throws {
        let host = ProcessInfo.processInfo.hostName
        let candidates = try Row.fetchAll(db, sql: """
            SELECT i.id, i.pid, i.host, i.last_flush, i.rolled_through FROM instances i
            WHERE i.ended_at IS NULL AND i.rolled_through IS NOT NULL AND i.id IS NOT ?
              AND EXISTS (SELECT 1 FROM series_seconds s WHERE s.instance_id = i.id AND s.at >= i.rolled_through)
            """, arguments: [own])
        for row in candidates {
            let id: Int64 = row[0], pid: Int = row[1], instanceHost: String? = row[2], lastFlush: Double = row[3]
            let from: Int64 = row[4]
            if instanceHost == host {
                if kill(pid_t(pid), 0) == 0 || errno == EPERM { continue }  // still running: it rolls its own
            } else if now.timeIntervalSince1970 - lastFlush < Self.otherHostSilence {
                continue
            }
            try rebuild(db, instance: id, from: from)
        }
    }

    /// Replaces the minute rows of `instance` from `from` on with the sums of its seconds rows, then each touched
    /// hour with the sum of its minute rows.
    private func rebuild(_ db: Database, instance: Int64, from: Int64) throws {
        var minutes: [SeriesRowKey: SeriesRowSum] = [:]
        var last = from
        let rows = try Row.fetchCursor(db, sql: """
            SELECT at, target_id, calls, ok, jsonrpc_error, tool_error, cancelled, lost, error_types, duration_ns, max_ns,
                   request_bytes, response_bytes, histogram
            FROM series_seconds WHERE instance_id = ? AND at >= ?
            """, arguments: [instance, from])
        while let row = try rows.next() {
            let at: Int64 = row[0]
            last = max(last, at)
            minutes[SeriesRowKey(at: at - at % 60, target: row[1]), default: SeriesRowSum()].add(row, from: 2)
        }
        var hours: Set<SeriesRowKey> = []
        for (key, sum) in minutes {
            try sum.write(db, table: "series_minutes", instance: instance, key: key)
            hours.insert(SeriesRowKey(at: key.at - key.at % 3_600, target: key.target))
        }
        for key in hours {
            var sum = SeriesRowSum()
            let rows = try Row.fetchCursor(db, sql: """
                SELECT calls, ok, jsonrpc_error, tool_error, cancelled, lost, error_types, duration_ns, max_ns,
                       request_bytes, response_bytes, histogram
                FROM series_minutes WHERE instance_id = ? AND target_id = ? AND at >= ? AND at < ?
                """, arguments: [instance, key.target, key.at, key.at + 3_600])
            while let row = try rows.next() { sum.add(row, from: 0) }
            try sum.write(db, table: "series_hours", instance: instance, key: key)
        }
        try db.execute(sql: "UPDATE instances SET rolled_through = ? WHERE id = ?", arguments: [last + 1, instance])
    }
}

/// A bucket of one target, as recovery groups rows.
struct SeriesRowKey: Hashable {
    var at: Int64
    var target: Int64
}

/// Series rows added up, column by column, as recovery rebuilds a minute or an hour.
struct SeriesRowSum {
    var counts = [Int64](repeating: 0, count: 7)  // calls, ok, jsonrpc_error, tool_error, cancelled, lost, duration_ns
    var maxNanos: Int64 = 0
    var requestBytes: Int64 = 0
    var responseBytes: Int64 = 0
    var errorTypes: [String: UInt64] = [:]
    var histogram = SparseHistogram()

    /// Adds a row whose columns from `offset` are calls, ok, jsonrpc_error, tool_error, cancelled, lost, error_types,
    /// duration_ns, max_ns, request_bytes, response_bytes, histogram.
    mutating func add(_ row: Row, from offset: Int) {
        for i in 0..<6 { counts[i] += row[offset + i] as Int64 }
        if let text: String = row[offset + 6] { for (type, n) in ErrorCounts.decode(text) { errorTypes[type, default: 0] += n } }
        counts[6] += row[offset + 7] as Int64
        maxNanos = max(maxNanos, row[offset + 8] as Int64)
        requestBytes += row[offset + 9] as Int64
        responseBytes += row[offset + 10] as Int64
        if let blob: Data = row[offset + 11], let cells = SparseHistogram(blob: Array(blob)) { histogram.add(cells) }
    }

    func write(_ db: Database, table: String, instance: Int64, key: SeriesRowKey) throws {
        try db.execute(sql: """
            INSERT OR REPLACE INTO \(table) (instance_id, at, target_id, calls, ok, jsonrpc_error, tool_error, cancelled, lost,
                error_types, duration_ns, max_ns, request_bytes, response_bytes, histogram)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [instance, key.at, key.target, counts[0], counts[1], counts[2], counts[3], counts[4], counts[5],
                             ErrorCounts.encode(errorTypes), counts[6], maxNanos, requestBytes, responseBytes, Data(histogram.blob)])
    }
}
