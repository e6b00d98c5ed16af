import Foundation
import MCPWatchCore
import MCPWatchStore

/// The fleet's history from the local store: the servers that ran on this machine and do not run now, each with its
/// latest instance and its figures over the window (percentiles from the store's summed histograms), so that the
/// front door lists a stopped server beside the running ones.
///
/// A server with a running instance is left to the live side (its own process answers, through its socket), so that
/// its calls are not counted twice.
public struct StoreFleetHistory: FleetHistory {
    let history: StoreHistory

    /// History over `history`'s store.
    public init(_ history: StoreHistory) { self.history = history }

    public func instances(window: Duration, running: [FleetInstance]) async -> [FleetInstanceSummary] {
        // No store yet (nothing has written one) or a file that is not one: the live fleet alone.
        guard let reader = try? history.reader() else { return [] }
        let runningNames = Set(running.map(\.name))
        let runningPids = Set(running.map(\.pid))
        guard let servers = try? reader.servers(window: window) else { return [] }
        var out: [FleetInstanceSummary] = []
        for server in servers where !runningNames.contains(server.name) {
            guard let latest = try? reader.instances(server: server.name, limit: 1).first else { continue }
            // Still writing under another name it has not given the registry yet: the live side has it.
            if latest.endedAt == nil, runningPids.contains(Int32(truncatingIfNeeded: latest.pid)), server.running { continue }
            out.append(FleetInstanceSummary(
                pid: Int32(truncatingIfNeeded: latest.pid), name: server.name,
                command: server.command.map { [$0] } ?? [], mode: latest.mode, startedAt: latest.startedAt,
                endedAt: latest.endedAt ?? latest.lastFlush, running: false, lastSeen: latest.lastFlush,
                calls: Int(clamping: server.calls), errors: Int(clamping: server.errors), p95Ms: server.p95Ms,
                callsTotal: server.calls, errorsTotal: server.errors))
        }
        return out
    }

    public func answer(server: String, path: String, query: String) async -> FleetHistoryAnswer? {
        guard let reader = try? history.reader(),
              let latest = try? reader.instances(server: server, limit: 1).first else { return nil }
        do {
            return try StoredServerViews(reader: reader, server: server, latest: latest).answer(path: path, query: query)
        } catch {
            let message = "cannot read the store for \(String(reflecting: server)): \(StoreDatabase.reason(error))"
            let body = (try? JSONSerialization.data(withJSONObject: ["error": ["status": 503, "message": message]])) ?? Data()
            return FleetHistoryAnswer(status: 503, body: body)
        }
    }

    public func p95(servers: [String], window: Duration) async -> [String: Double] {
        guard !servers.isEmpty, let reader = try? history.reader(), let all = try? reader.servers(window: window) else { return [:] }
        let wanted = Set(servers)
        var out: [String: Double] = [:]
        for server in all where wanted.contains(server.name) {
            if let p95 = server.p95Ms { out[server.name] = p95 }
        }
        return out
    }
}
