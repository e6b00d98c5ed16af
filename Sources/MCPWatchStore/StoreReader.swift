import Foundation
import GRDB
import MCPWatchCore

/// Queries over the store, for `mcpwatch report`, `/api/calls` and the fleet (`/api/servers`, history charts): every
/// method reads one consistent snapshot and never writes.
///
/// Ranges are answered from the finest resolution that still covers them (seconds for the last hour, minutes for
/// up to a day, hours beyond: see ``resolution(since:until:now:)``), and percentiles come from summed histograms.
public final class StoreReader: Sendable {
    let pool: DatabasePool
    /// The retention in force, which decides what each resolution still covers.
    public let settings: StoreSettings

    /// Opens the store at `path` for reading.
    /// - Throws: ``WatchError`` `.unavailable` when there is no store yet, `.invalidArgument` when the file is not one.
    public convenience init(path: String, settings: StoreSettings = StoreSettings()) throws {
        self.init(pool: try StoreDatabase.openForReading(path: path), settings: settings)
    }

    /// Reads through an open pool (the writer's, in the same process).
    public init(pool: DatabasePool, settings: StoreSettings = StoreSettings()) {
        self.pool = pool
        self.settings = settings
    }

    /// The series table and its bucket width for a range: seconds while the range is within the seconds' retention
    /// and at most an hour long, minutes up to a day (and within their retention), hours beyond.
    public func resolution(since: Date, until: Date, now: Date = Date()) -> (table: String, seconds: Int, name: String) {
        let length = until.timeIntervalSince(since)
        if since >= now.addingTimeInterval(-settings.secondsRetention.seconds), length <= 3_600 { return ("series_seconds", 1, "seconds") }
        if since >= now.addingTimeInterval(-settings.minutesRetention.seconds), length <= 86_400 + 60 { return ("series_minutes", 60, "minutes") }
        return ("series_hours", 3_600, "hours")
    }

    /// The ids of a server's instances (all servers when nil).
    private func instanceFilter(_ server: String?) -> (sql: String, arguments: StatementArguments) {
        guard let server else { return ("", []) }
        return (" AND s.instance_id IN (SELECT i.id FROM instances i JOIN servers v ON v.id = i.server_id WHERE v.name = ?)", [server])
    }

    /// Every server the store knows, with calls, errors and p95 over the last `window` (from hours past a day, so a
    /// 24 h overview of 20 servers reads a few thousand rows).
    public func servers(window: Duration = .seconds(86_400), now: Date = Date()) throws -> [StoredServer] {
        let since = now.addingTimeInterval(-window.seconds)
        // An overview needs no chart: past an hour, whole hours (the window starts at the hour it falls in).
        let (table, width, _) = window.seconds > 3_600 && since >= now.addingTimeInterval(-settings.hoursRetention.seconds)
            ? ("series_hours", 3_600, "hours") : resolution(since: since, until: now, now: now)
        let from = Self.clamped(since.timeIntervalSince1970) / Int64(width) * Int64(width)
        return try pool.read { db in
            var figures: [Int64: (calls: UInt64, errors: UInt64, histogram: HistogramSum)] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT i.server_id, s.calls, s.ok, s.histogram FROM \(table) s JOIN instances i ON i.id = s.instance_id WHERE s.at >= ?
                """, arguments: [from])
            while let row = try rows.next() {
                let id: Int64 = row[0]
                var entry = figures[id] ?? (0, 0, HistogramSum())
                let calls: Int64 = row[1], ok: Int64 = row[2]
                entry.calls += UInt64(calls)
                entry.errors += UInt64(calls - ok)
                if let blob: Data = row[3] { entry.histogram.add(blob: Array(blob)) }
                figures[id] = entry
            }
            let live = now.timeIntervalSince1970 - 15
            let servers = try Row.fetchAll(db, sql: """
                SELECT v.id, v.name, v.named_by, v.command, v.first_seen, v.last_seen,
                       (SELECT count(*) FROM instances i WHERE i.server_id = v.id),
                       (SELECT count(*) FROM instances i WHERE i.server_id = v.id AND i.ended_at IS NULL AND i.last_flush >= ?),
                       (SELECT group_concat(i.socket, char(10)) FROM instances i WHERE i.server_id = v.id AND i.ended_at IS NULL
                           AND i.last_flush >= ? AND i.socket IS NOT NULL)
                FROM servers v ORDER BY v.last_seen DESC
                """, arguments: [live, live])
            return servers.map { row in
                let id: Int64 = row[0]
                let f = figures[id]
                let sockets: String? = row[8]
                return StoredServer(
                    name: row[1], namedBy: row[2], command: row[3], firstSeen: Date(timeIntervalSince1970: row[4]),
                    lastSeen: Date(timeIntervalSince1970: row[5]), running: (row[7] as Int) > 0, instances: row[6],
                    calls: f?.calls ?? 0, errors: f?.errors ?? 0, p95Ms: f?.histogram.percentilesMs([95])[0] ?? nil,
                    sockets: sockets.map { $0.split(separator: "\n").map(String.init) } ?? [])
            }
        }
    }

    /// A server's instances, newest first.
    public func instances(server: String, limit: Int = 100) throws -> [StoredInstance] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT i.id, v.name, i.pid, i.host, i.server_pid, i.mode, i.transport, i.started_at, i.last_flush, i.ended_at,
                       i.exit_status, i.socket
                FROM instances i JOIN servers v ON v.id = i.server_id WHERE v.name = ? ORDER BY i.started_at DESC LIMIT ?
                """, arguments: [server, limit]).map { row in
                StoredInstance(
                    id: row[0], server: row[1], pid: row[2], host: row[3], serverPid: row[4], mode: row[5], transport: row[6],
                    startedAt: Date(timeIntervalSince1970: row[7]), lastFlush: Date(timeIntervalSince1970: row[8]),
                    endedAt: (row[9] as Double?).map { Date(timeIntervalSince1970: $0) }, exitStatus: row[10], socket: row[11])
            }
        }
    }

    /// Each server's figures (or one's) over `since..<until`, per target and in total.
    public func report(server: String? = nil, since: Date, until: Date = Date(), now: Date = Date()) throws -> [StoredServerReport] {
        let (table, width, name) = resolution(since: since, until: until, now: now)
        let from = Self.clamped(since.timeIntervalSince1970) / Int64(width) * Int64(width)
        let to = Self.clamped(until.timeIntervalSince1970.rounded(.up))
        let filter = instanceFilter(server)
        return try pool.read { db in
            struct Acc {
                var calls: UInt64 = 0, outcomes = [UInt64](repeating: 0, count: 5), errorTypes: [String: UInt64] = [:]
                var durationNs: UInt64 = 0, maxNs: UInt64 = 0, requestBytes: UInt64 = 0, responseBytes: UInt64 = 0
                var histogram = HistogramSum()
            }
            var byServer: [String: [Int64: Acc]] = [:]
            var targets: [Int64: (String, String)] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, method, target FROM targets") { targets[row[0]] = (row[1], row[2]) }
            let rows = try Row.fetchCursor(db, sql: """
                SELECT v.name, s.target_id, s.calls, s.ok, s.jsonrpc_error, s.tool_error, s.cancelled, s.lost, s.error_types,
                       s.duration_ns, s.max_ns, s.request_bytes, s.response_bytes, s.histogram
                FROM \(table) s JOIN instances i ON i.id = s.instance_id JOIN servers v ON v.id = i.server_id
                WHERE s.at >= ? AND s.at < ?\(filter.sql)
                """, arguments: StatementArguments([from, to]) + filter.arguments)
            while let row = try rows.next() {
                let serverName: String = row[0]
                let target: Int64 = row[1]
                var acc = byServer[serverName]?[target] ?? Acc()
                acc.calls += UInt64(row[2] as Int64)
                for k in 0..<5 { acc.outcomes[k] += UInt64(row[3 + k] as Int64) }
                if let errors: String = row[8] { for (type, n) in ErrorCounts.decode(errors) { acc.errorTypes[type, default: 0] += n } }
                acc.durationNs += UInt64(row[9] as Int64)
                acc.maxNs = max(acc.maxNs, UInt64(row[10] as Int64))
                acc.requestBytes += UInt64(row[11] as Int64)
                acc.responseBytes += UInt64(row[12] as Int64)
                if let blob: Data = row[13] { acc.histogram.add(blob: Array(blob)) }
                byServer[serverName, default: [:]][target] = acc
            }
            func figures(_ method: String, _ target: String, _ a: Acc) -> StoredTargetFigures {
                let p = a.histogram.percentilesMs([50, 90, 95, 99, 99.9])
                let names = CallOutcome.allCases.map(\.rawValue)
                return StoredTargetFigures(
                    method: method, target: target, calls: a.calls, errors: a.calls - a.outcomes[0],
                    outcomes: Dictionary(uniqueKeysWithValues: zip(names, a.outcomes)), errorTypes: a.errorTypes,
                    avgMs: a.calls > 0 ? Double(a.durationNs) / Double(a.calls) / 1e6 : nil, p50Ms: p[0], p90Ms: p[1], p95Ms: p[2], p99Ms: p[3], p999Ms: p[4],
                    maxMs: a.calls > 0 ? Double(a.maxNs) / 1e6 : nil, requestBytes: a.requestBytes, responseBytes: a.responseBytes)
            }
            var names = byServer.keys.sorted()
            if let server, byServer[server] == nil, try Bool.fetchOne(db, sql: "SELECT 1 FROM servers WHERE name = ?", arguments: [server]) == true {
                names = [server]
            }
            return names.map { serverName in
                let perTarget = byServer[serverName] ?? [:]
                var total = Acc()
                for a in perTarget.values {
                    total.calls += a.calls
                    for k in 0..<5 { total.outcomes[k] += a.outcomes[k] }
                    for (t, n) in a.errorTypes { total.errorTypes[t, default: 0] += n }
                    total.durationNs += a.durationNs
                    total.maxNs = max(total.maxNs, a.maxNs)
                    total.requestBytes += a.requestBytes
                    total.responseBytes += a.responseBytes
                    total.histogram.add(a.histogram)
                }
                let list = perTarget.map { id, a in figures(targets[id]?.0 ?? "?", targets[id]?.1 ?? "", a) }
                    .sorted { $0.calls != $1.calls ? $0.calls > $1.calls : ($0.target, $0.method) < ($1.target, $1.method) }
                return StoredServerReport(server: serverName, since: since, until: until, resolution: name,
                                          total: figures("*", "*", total), targets: list)
            }
        }
    }

    /// One server's calls per bucket over a range (one target's, when named), at the range's resolution.
    ///
    /// - Parameters:
    ///   - step: the bucket width in seconds; the finest table whose width divides it and whose retention still
    ///     covers the range's start is read, and its rows are summed into buckets of `step` (percentiles from the
    ///     summed histograms). Nil: the table ``resolution(since:until:now:)`` picks, at its own width.
    ///   - startedBefore: only the rows of instances that started before this (a running server's earlier runs).
    public func series(server: String, range: DateInterval, target: TargetKey? = nil, step: Int? = nil, startedBefore: Date? = nil,
                       now: Date = Date()) throws -> StoredSeries {
        var (table, width, _) = resolution(since: range.start, until: range.end, now: now)
        if let step, step > 0 {
            let tables: [(String, Int, Duration)] = [("series_seconds", 1, settings.secondsRetention), ("series_minutes", 60, settings.minutesRetention),
                                                     ("series_hours", 3_600, settings.hoursRetention)]
            // The finest table that still holds the start (a minute of slack for the pruning edge), at a width the step is
            // a whole number of; hours when none does.
            let fit = tables.first { step % $0.1 == 0 && range.start >= now.addingTimeInterval(-$0.2.seconds - 60) }
            (table, width) = fit.map { ($0.0, $0.1) } ?? ("series_hours", 3_600)
        }
        let bucket = Int64(Swift.max(width, step.map { $0 / width * width } ?? width))
        let from = Self.clamped(range.start.timeIntervalSince1970) / Int64(width) * Int64(width)
        let to = Self.clamped(range.end.timeIntervalSince1970.rounded(.up))
        var sql = """
            SELECT s.at, s.calls, s.ok, s.duration_ns, s.max_ns, s.histogram FROM \(table) s
            JOIN instances i ON i.id = s.instance_id JOIN servers v ON v.id = i.server_id
            WHERE v.name = ? AND s.at >= ? AND s.at < ?
            """
        var arguments: StatementArguments = [server, from, to]
        if let target {
            sql += " AND s.target_id = (SELECT id FROM targets WHERE method = ? AND target = ?)"
            arguments += [target.method, target.target ?? ""]
        }
        if let startedBefore {
            // Only the runs that began before (a running instance's own figures are in its memory).
            sql += " AND i.started_at < ?"
            arguments += [startedBefore.timeIntervalSince1970]
        }
        sql += " ORDER BY s.at"
        return try pool.read { db in
            var points: [StoredSeries.Point] = []
            var current: (at: Int64, calls: UInt64, errors: UInt64, ns: UInt64, maxNs: UInt64, histogram: HistogramSum)?
            func close() {
                guard let c = current else { return }
                let p = c.histogram.percentilesMs([50, 95, 99])
                points.append(.init(time: Date(timeIntervalSince1970: Double(c.at)), calls: c.calls, errors: c.errors,
                                    avgMs: c.calls > 0 ? Double(c.ns) / Double(c.calls) / 1e6 : nil, p50Ms: p[0], p95Ms: p[1], p99Ms: p[2],
                                    maxMs: c.calls > 0 ? Double(c.maxNs) / 1e6 : nil))
            }
            let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
            while let row = try rows.next() {
                let at: Int64 = row[0]
                let start = at >= 0 ? at / bucket * bucket : ((at - bucket + 1) / bucket) * bucket
                if current?.at != start {
                    close()
                    current = (start, 0, 0, 0, 0, HistogramSum())
                }
                let calls: Int64 = row[1], ok: Int64 = row[2], ns: Int64 = row[3], maxNs: Int64 = row[4]
                current!.calls += UInt64(calls)
                current!.errors += UInt64(calls - ok)
                current!.ns += UInt64(ns)
                current!.maxNs = Swift.max(current!.maxNs, UInt64(maxNs))
                if let blob: Data = row[5] { current!.histogram.add(blob: Array(blob)) }
            }
            close()
            return StoredSeries(server: server, resolutionSeconds: Int(bucket), table: String(table.dropFirst("series_".count)), points: points)
        }
    }

    /// A server's alert transitions as the writer stored them (each an `AlertEvent` in JSON, ISO 8601 dates), newest
    /// first, over every instance.
    public func alertEvents(server: String, limit: Int = 200) throws -> [String] {
        try pool.read { db in
            try String.fetchAll(db, sql: """
                SELECT a.event FROM alert_events a JOIN instances i ON i.id = a.instance_id JOIN servers v ON v.id = i.server_id
                WHERE v.name = ? ORDER BY a.at DESC, a.id DESC LIMIT ?
                """, arguments: [server, min(max(limit, 1), 1_000)])
        }
    }

    /// A whole number for SQL from any double a query may carry (far past, far future, NaN).
    static func clamped(_ value: Double) -> Int64 {
        guard value.isFinite else { return value > 0 ? Int64.max / 2 : 0 }
        return Int64(Swift.max(-9e15, Swift.min(9e15, value.rounded(.down))))
    }

    /// Rows of the call log, newest (or slowest) first.
    public func calls(_ query: CallQuery) throws -> [StoredCall] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let id = query.id { conditions.append("c.id = ?"); arguments += [id] }
        if let server = query.server { conditions.append("v.name = ?"); arguments += [server] }
        if let target = query.target {
            conditions.append("(t.target = ? OR (t.target = '' AND t.method = ?))")
            arguments += [target, target]
        }
        if let outcome = query.outcome {
            if outcome == "error" { conditions.append("c.outcome <> 'ok'") } else { conditions.append("c.outcome = ?"); arguments += [outcome] }
        }
        if let since = query.since { conditions.append("c.at >= ?"); arguments += [Self.clamped(since.timeIntervalSince1970 * 1_000)] }
        if let until = query.until { conditions.append("c.at < ?"); arguments += [Self.clamped((until.timeIntervalSince1970 * 1_000).rounded(.up))] }
        if let min = query.minDurationMs { conditions.append("c.duration_us >= ?"); arguments += [Self.clamped(min * 1_000)] }
        let sql = """
            SELECT c.id, c.at, v.name, cl.name, cl.version, t.method, t.target, c.duration_us, c.rounds, c.outcome, c.error_code,
                   c.error_message, c.request_bytes, c.response_bytes, c.arguments, c.result
            FROM calls c JOIN instances i ON i.id = c.instance_id JOIN servers v ON v.id = i.server_id
            JOIN targets t ON t.id = c.target_id LEFT JOIN clients cl ON cl.id = c.client_id
            \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "))
            ORDER BY \(query.sortByDuration ? "c.duration_us DESC, c.id DESC" : "c.id DESC") LIMIT ?
            """
        arguments += [min(max(query.limit, 1), 1_000)]
        return try pool.read { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                let clientName: String? = row[3], clientVersion: String? = row[4]
                let target: String = row[6]
                return StoredCall(
                    id: row[0], time: Date(timeIntervalSince1970: Double(row[1] as Int64) / 1_000), server: row[2],
                    client: clientName.map { name in clientVersion.flatMap { $0.isEmpty ? nil : "\(name) \($0)" } ?? name },
                    method: row[5], target: target.isEmpty ? nil : target, durationMs: Double(row[7] as Int64) / 1_000,
                    rounds: row[8], outcome: row[9], errorCode: row[10], errorMessage: row[11], requestBytes: row[12],
                    responseBytes: row[13], arguments: row[14], result: row[15])
            }
        }
    }
}
