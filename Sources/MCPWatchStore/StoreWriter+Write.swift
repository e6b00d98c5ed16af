import Foundation
import GRDB
import MCPWatchCore

extension StoreWriter {
    /// Writes the pending rows in one transaction (the caller's): the server and instance first, then the series,
    /// the call log, samples and alert transitions.
    func write(_ db: Database, state: WriterState, written: inout WriterState.Written, session: SessionInfo, now: Date, final: Bool) throws {
        let nowSeconds = now.timeIntervalSince1970
        let (name, namedBy) = identity.name(serverInfo: session.server?.name)
        var serverID = state.serverID
        var instanceID = state.instanceID
        if serverID == nil || state.serverName != name {
            let id = try serverRow(db, name: name, namedBy: namedBy, now: nowSeconds)
            written.serverID = id
            written.serverName = name
            if let instanceID, let old = serverID {
                // The server said its name after the first flush: its instance moves to the server of that name.
                try db.execute(sql: "UPDATE instances SET server_id = ? WHERE id = ?", arguments: [id, instanceID])
                // The provisional server goes when no other instance is its own, with its clients moved over.
                let orphan = try Bool.fetchOne(db, sql: """
                    SELECT named_by = 'command' AND NOT EXISTS (SELECT 1 FROM instances WHERE server_id = ?) FROM servers WHERE id = ?
                    """, arguments: [old, old]) ?? false
                if orphan {
                    try db.execute(sql: "UPDATE OR IGNORE clients SET server_id = ? WHERE server_id = ?", arguments: [id, old])
                    try db.execute(sql: "DELETE FROM clients WHERE server_id = ?", arguments: [old])
                    try db.execute(sql: "DELETE FROM servers WHERE id = ?", arguments: [old])
                }
            }
            serverID = id
        }
        guard let serverID else { return }
        if instanceID == nil {
            try db.execute(sql: """
                INSERT INTO instances (server_id, pid, host, server_pid, mode, transport, started_at, last_flush)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [serverID, Int(getpid()), ProcessInfo.processInfo.hostName, session.serverPid.map { Int($0) },
                                 identity.mode, identity.transport, sources.metrics.startDate.timeIntervalSince1970, nowSeconds])
            instanceID = db.lastInsertedRowID
            written.instanceID = instanceID
        }
        guard let instanceID else { return }
        var clientID: Int64?
        if let client = session.client {
            let key = "\(serverID)\u{0}\(client.name)\u{0}\(client.version ?? "")"
            if let id = state.clientIDs[key] ?? written.clientIDs[key] {
                clientID = id
                try db.execute(sql: "UPDATE clients SET last_seen = ? WHERE id = ?", arguments: [nowSeconds, id])
            } else {
                try db.execute(sql: """
                    INSERT INTO clients (server_id, name, version, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (server_id, name, version) DO UPDATE SET last_seen = excluded.last_seen
                    """, arguments: [serverID, client.name, client.version ?? "", nowSeconds, nowSeconds])
                clientID = try Int64.fetchOne(db, sql: "SELECT id FROM clients WHERE server_id = ? AND name = ? AND version = ?",
                                              arguments: [serverID, client.name, client.version ?? ""])
                written.clientIDs[key] = clientID
            }
        }
        func targetID(_ key: TargetKey, _ direction: Direction) throws -> Int64 {
            if let id = state.targetIDs[key] ?? written.targetIDs[key] { return id }
            try db.execute(sql: "INSERT INTO targets (method, target, direction) VALUES (?, ?, ?) ON CONFLICT (method, target) DO NOTHING",
                           arguments: [key.method, key.target ?? "", direction.rawValue])
            let id = try Int64.fetchOne(db, sql: "SELECT id FROM targets WHERE method = ? AND target = ?", arguments: [key.method, key.target ?? ""])!
            written.targetIDs[key] = id
            return id
        }

        // Each delta is its second's row (an upsert: two flushes can fall in one second); the minutes and hours
        // rows come from the rollup, written when a target is new in its bucket and when the minute closes.
        let columns = """
            instance_id, at, target_id, calls, ok, jsonrpc_error, tool_error, cancelled, lost,
            error_types, duration_ns, max_ns, request_bytes, response_bytes, histogram
            """
        let seconds = try db.cachedStatement(sql: """
            INSERT INTO series_seconds (\(columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (instance_id, at, target_id) DO UPDATE SET
                calls = calls + excluded.calls, ok = ok + excluded.ok,
                jsonrpc_error = jsonrpc_error + excluded.jsonrpc_error, tool_error = tool_error + excluded.tool_error,
                cancelled = cancelled + excluded.cancelled, lost = lost + excluded.lost,
                error_types = counts_merge(error_types, excluded.error_types),
                duration_ns = duration_ns + excluded.duration_ns, max_ns = max(max_ns, excluded.max_ns),
                request_bytes = request_bytes + excluded.request_bytes, response_bytes = response_bytes + excluded.response_bytes,
                histogram = histogram_merge(histogram, excluded.histogram)
            """)
        let minutes = try db.cachedStatement(sql: "INSERT OR REPLACE INTO series_minutes (\(columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        let hours = try db.cachedStatement(sql: "INSERT OR REPLACE INTO series_hours (\(columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        func put(_ statement: Statement, _ delta: SeriesDelta) throws {
            let target = try targetID(delta.key, delta.direction)
            try statement.execute(arguments: [
                instanceID, delta.at, target, Int64(delta.calls), Int64(delta.outcomes[0]), Int64(delta.outcomes[1]),
                Int64(delta.outcomes[2]), Int64(delta.outcomes[3]), Int64(delta.outcomes[4]), ErrorCounts.encode(delta.errorTypes),
                Int64(clamping: delta.sumNanos), Int64(clamping: delta.maxNanos), Int64(clamping: delta.requestBytes),
                Int64(clamping: delta.responseBytes), Data(delta.histogram.blob),
            ])
        }
        var rollup = state.rollup
        var rows: [SeriesRollup.Write] = []
        for delta in state.pendingDeltas {
            try put(seconds, delta)
            rollup.add(delta, into: &rows)
        }
        if final { rollup.close(into: &rows) }
        for row in rows {
            switch row {
            case .minute(let delta): try put(minutes, delta)
            case .hour(let delta): try put(hours, delta)
            }
        }
        let rolledThrough: Int64? = final ? Int64(nowSeconds.rounded(.down)) + 1 : rollup.rolledThrough
        written.rollup = rollup
        if !state.pendingCalls.isEmpty {
            let insert = try db.cachedStatement(sql: """
                INSERT INTO calls (at, instance_id, target_id, client_id, duration_us, rounds, outcome, error_code, error_message,
                    request_bytes, response_bytes, arguments, result) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?)
                """)
            for call in state.pendingCalls {
                let target = try targetID(call.key, call.direction)
                try insert.execute(arguments: [
                    call.atMillis, instanceID, target, call.client == nil ? nil : clientID, call.durationMicros, call.outcome,
                    call.errorCode, call.errorMessage, call.requestBytes, call.responseBytes, call.arguments, call.result,
                ])
            }
        }
        for sample in state.pendingSamples {
            try db.execute(sql: """
                INSERT OR REPLACE INTO samples (instance_id, at, server_cpu_percent, server_rss_bytes, mcpwatch_cpu_percent,
                    mcpwatch_rss_bytes, host_cpu_percent, host_memory_percent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [
                    instanceID, Int64(sample.sampledAt.timeIntervalSince1970), sample.server?.cpuPercent.current,
                    sample.server.map { Int64($0.residentBytes.current) }, sample.mcpwatch.cpuPercent.current,
                    Int64(sample.mcpwatch.residentBytes.current), sample.host.cpuPercent.current, sample.host.memoryUsedPercent.current,
                ])
        }
        if !state.pendingAlerts.isEmpty {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            for event in state.pendingAlerts {
                let json = String(decoding: (try? encoder.encode(event)) ?? Data("{}".utf8), as: UTF8.self)
                try db.execute(sql: "INSERT INTO alert_events (instance_id, at, kind, rule, alert_id, event) VALUES (?, ?, ?, ?, ?, ?)",
                               arguments: [instanceID, event.at.timeIntervalSince1970, event.kind.rawValue, event.rule, event.alertId, json])
            }
        }
        try writeTraffic(db, instanceID: instanceID, now: now)
        try db.execute(sql: """
            UPDATE instances SET last_flush = ?, server_pid = coalesce(?, server_pid), socket = ?,
                rolled_through = coalesce(?, rolled_through) WHERE id = ?
            """, arguments: [nowSeconds, session.serverPid.map { Int($0) }, state.socket, rolledThrough, instanceID])
        try db.execute(sql: "UPDATE servers SET last_seen = ? WHERE id = ?", arguments: [nowSeconds, serverID])
        if final {
            try db.execute(sql: "UPDATE instances SET ended_at = ?, exit_status = ? WHERE id = ?",
                           arguments: [nowSeconds, session.serverExit, instanceID])
            written.ended = true
        }
    }

    /// The id of the server named `name`, created when new.
    private func serverRow(_ db: Database, name: String, namedBy: String, now: Double) throws -> Int64 {
        try db.execute(sql: """
            INSERT INTO servers (name, named_by, command, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (name) DO UPDATE SET last_seen = excluded.last_seen, command = coalesce(excluded.command, command)
            """, arguments: [name, namedBy, identity.command, now, now])
        return try Int64.fetchOne(db, sql: "SELECT id FROM servers WHERE name = ?", arguments: [name])!
    }
}
