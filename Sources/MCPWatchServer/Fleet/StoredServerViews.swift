import Foundation
import MCPWatchCore
import MCPWatchStore

/// A stopped server's per-server views, answered from the store in the live endpoints' shape: the report, its tools,
/// one tool's detail, the chart series, a dashboard snapshot, its health. What only a running server can answer (the
/// live stream, the event stream, the tool explorer) is refused with a message that says the server has stopped.
///
/// The figures are those of the server's last run (from its latest instance's start), as the live report's are of
/// the running one; the series reach back as far as the store does (`range=`).
struct StoredServerViews: Sendable {
    let reader: StoreReader
    let server: String
    let latest: StoredInstance
    var now = Date()

    /// The answer for `path` (as requested, percent-encoded) with `query` (without `server`), or nil for a path that
    /// is not a per-server view.
    func answer(path: String, query: String) throws -> FleetHistoryAnswer? {
        let parameters = Self.parameters(query)
        switch path {
        case "/api/report", "/performance/dashboard":
            return try json(report())
        case "/api/metrics":
            guard (parameters["format"] ?? "json") == "json" else {
                return refusal(410, "\(String(reflecting: server)) has stopped: its Prometheus figures went with its process (/metrics is each process's own)")
            }
            return try json(report())
        case "/api/tools":
            let method = parameters["method"]
            return try json(ToolList(tools: try targets().filter { method == nil || $0.method == method }))
        case "/api/series":
            let range: Int
            if let text = parameters["range"] {
                guard let value = HistorySeries.parseRange(text) else { return refusal(400, "parameter 'range' must be a whole number of seconds, minutes, hours or days such as 90s, 15m, 24h, 7d or 30d (at most 399d), not '\(text)'") }
                range = value
            } else {
                range = parameters["seconds"].flatMap(Int.init).map { max(1, min($0, 3_600)) } ?? 300
            }
            let step = parameters["step"].flatMap(Int.init).flatMap { (1...86_400).contains($0) ? $0 : nil }
            return try json(HistorySeries.stored(reader, server: server, range: range, step: step, now: now))
        case "/api/snapshot":
            return try json(snapshot())
        case "/api/health", "/performance/health":
            return try json(health(report()))
        case "/api/alerts", "/performance/alerts":
            return try json(alerts(limit: parameters["limit"].flatMap(Int.init) ?? 100))
        case "/api/sessions":
            return try json(SessionList(sessionCount: 0, sessionsTotal: 0, sessions: []))
        case "/api/stream", "/api/events":
            return refusal(410, "\(String(reflecting: server)) has stopped (\(ended)): there is no live stream; its figures and charts are from the store")
        case "/api/explorer/calls":
            // The explorer's last calls lived in the process: none are left.
            return try json(SessionList.ExplorerCalls(calls: []))
        case "/api/explorer/tools", "/api/call_tool":
            return refusal(409, "\(String(reflecting: server)) has stopped (\(ended)): the explorer can only call a running server; start it again from its client")
        case "/api/system", "/system_info":
            return refusal(410, "\(String(reflecting: server)) has stopped (\(ended)): there is no process to sample")
        default:
            guard path.hasPrefix("/api/tools/") || path == "/performance/metrics" else { return nil }
            let name: String
            if path == "/performance/metrics" {
                guard let tool = parameters["tool_name"], !tool.isEmpty else { return try json(report()) }
                name = tool
            } else {
                guard let decoded = String(path.dropFirst("/api/tools/".count)).removingPercentEncoding else {
                    return refusal(400, "the name in the path is not valid percent-encoding")
                }
                name = decoded
            }
            let seconds = parameters["seconds"].flatMap(Int.init).map { max(1, min($0, 3_600)) } ?? 300
            return try toolDetail(name: name, method: parameters["method"], seconds: seconds)
        }
    }

    private var ended: String {
        let at = latest.endedAt ?? latest.lastFlush
        return (latest.exitStatus.map { $0 + ", " } ?? "") + "last seen " + RFC3339.string(from: at)
    }

    // MARK: - The shapes of the live endpoints (keys as Report.encoder writes them)

    struct Latency: Encodable {
        var avgMs, minMs, maxMs, p50Ms, p90Ms, p95Ms, p99Ms, p999Ms: Double?
    }
    struct Size: Encodable {
        var total: UInt64
        var avg: Double?
        var max: Int
    }
    struct Recent: Encodable {
        var calls = 0
        var successRate: Double?
        var avgMs: Double?
    }
    struct Target: Encodable {
        var name: String
        var method: String
        var target: String?
        var direction = "client_to_server"
        var calls: UInt64
        var errors: UInt64
        var successRate: Double?
        var avgMs, minMs, maxMs, p50Ms, p90Ms, p95Ms, p99Ms, p999Ms: Double?
        var lastUsed: Date?
        var inFlight = 0
        var outcomes: [String: UInt64]
        var errorTypes: [String: UInt64]
        var recent = Recent()
        var callsPerSecond = 0.0
        var requestBytes: Size
        var responseBytes: Size
        var dashboardCalls: UInt64 = 0
    }
    struct Throughput: Encodable {
        var lastMinute = 0.0, last5Minutes = 0.0, last15Minutes = 0.0
    }
    struct Traffic: Encodable {
        var clientToServerMessages: UInt64, clientToServerBytes: UInt64, serverToClientMessages: UInt64, serverToClientBytes: UInt64
    }
    struct Overview: Encodable {
        var startTime: Date
        var uptimeSeconds: Double
        var totalCalls: UInt64
        var totalErrors: UInt64
        var successRate: Double?
        var inFlight = 0
        var outcomes: [String: UInt64]
        var throughput = Throughput()
        var errorRateLastMinute: Double?
        var latency: Latency
        var traffic: Traffic
    }
    struct Peer: Encodable {
        var name: String
    }
    struct Session: Encodable {
        var server: Peer
        var serverAlive = false
        var serverExit: String
    }
    struct Anomalies: Encodable {
        var total: UInt64 = 0
        var byKind: [String: UInt64] = [:]
    }
    /// Where a stopped server's figures came from.
    struct Stored: Encodable {
        var since: Date
        var until: Date
        var resolution: String
        var endedAt: Date?
        var exitStatus: String?
    }
    struct StoppedReport: Encodable {
        var schemaVersion = 1
        var generatedAt: Date
        var serverName: String
        var session: Session
        var overview: Overview
        var targets: [Target]
        var notifications: [String] = []
        var anomalies = Anomalies()
        var stopped = true
        var store: Stored
    }
    struct ToolList: Encodable {
        var tools: [Target]
    }
    struct SessionList: Encodable {
        struct ExplorerCalls: Encodable {
            var calls: [String]
        }
        var sessionCount: Int
        var sessionsTotal: UInt64
        var sessions: [String]
    }
    struct SeriesPoint: Encodable {
        var time: Date
        var calls: UInt64
        var errors: UInt64
        var avgMs: Double?
        var maxMs: Double?
    }
    struct Detail: Encodable {
        var target: Target
        var series: [SeriesPoint]
        var buckets: [String] = []
        var recentErrors: [String] = []
        var stopped = true
    }
    struct Health: Encodable {
        struct Issue: Encodable {
            var severity: String
            var message: String
        }
        var status: String
        var issues: [Issue]
        var summary: String
        var serverAlive = false
        var errorRateLastMinute: Double?
        var totalCalls: UInt64
        var uptimeSeconds: Double
        var stopped = true
    }
    struct Alerts: Encodable {
        var intervalSeconds = 0.0
        var rules: [String] = []
        var active: [String] = []
        var history: [AlertEvent]
        var firing: [String: Int] = [:]
        var notifierFailures: [String: Int] = [:]
        var stopped = true
    }
    struct Window: Encodable {
        var seconds = 60, calls = 0, errors = 0
        var callsPerSecond = 0.0
        var inFlight = 0
    }
    struct AlertCounts: Encodable {
        var firing = 0, pending = 0, critical = 0, warning = 0
    }
    struct Snapshot: Encodable {
        var time: Date
        var full = true
        var uptimeSeconds: Double
        var serverName: String
        var serverAlive = false
        var health: Health
        var overview: Overview
        var window = Window()
        var system: String? = nil
        var alerts = AlertCounts()
        var tools: [Target]
        var stopped = true
        var store: Stored
    }

    // MARK: - Building them

    private var runSince: Date { latest.startedAt }

    private func stored() throws -> StoredServerReport? {
        try reader.report(server: server, since: runSince, until: now, now: now).first { $0.server == server }
    }

    private func target(_ f: StoredTargetFigures) -> Target {
        Target(name: f.target.isEmpty ? f.method : f.target, method: f.method, target: f.target.isEmpty ? nil : f.target,
               calls: f.calls, errors: f.errors, successRate: f.calls > 0 ? 100 * Double(f.calls - f.errors) / Double(f.calls) : nil,
               avgMs: f.avgMs, minMs: nil, maxMs: f.maxMs, p50Ms: f.p50Ms, p90Ms: f.p90Ms, p95Ms: f.p95Ms, p99Ms: f.p99Ms, p999Ms: f.p999Ms,
               lastUsed: nil, outcomes: f.outcomes, errorTypes: f.errorTypes,
               requestBytes: Size(total: f.requestBytes, avg: f.calls > 0 ? Double(f.requestBytes) / Double(f.calls) : nil, max: 0),
               responseBytes: Size(total: f.responseBytes, avg: f.calls > 0 ? Double(f.responseBytes) / Double(f.calls) : nil, max: 0))
    }

    private func targets() throws -> [Target] { try stored()?.targets.map(target) ?? [] }

    private var until: Date { latest.endedAt ?? latest.lastFlush }

    private func overview(_ r: StoredServerReport?) -> Overview {
        let t = r?.total
        let calls = t?.calls ?? 0
        return Overview(
            startTime: latest.startedAt, uptimeSeconds: max(0, until.timeIntervalSince(latest.startedAt)), totalCalls: calls,
            totalErrors: t?.errors ?? 0, successRate: calls > 0 ? 100 * Double(calls - (t?.errors ?? 0)) / Double(calls) : nil,
            outcomes: t?.outcomes ?? [:],
            latency: Latency(avgMs: t?.avgMs, minMs: nil, maxMs: t?.maxMs, p50Ms: t?.p50Ms, p90Ms: t?.p90Ms, p95Ms: t?.p95Ms,
                             p99Ms: t?.p99Ms, p999Ms: t?.p999Ms),
            traffic: Traffic(clientToServerMessages: calls, clientToServerBytes: t?.requestBytes ?? 0, serverToClientMessages: calls,
                             serverToClientBytes: t?.responseBytes ?? 0))
    }

    private func storedNote(_ r: StoredServerReport?) -> Stored {
        Stored(since: runSince, until: until, resolution: r?.resolution ?? "seconds", endedAt: latest.endedAt, exitStatus: latest.exitStatus)
    }

    func report() throws -> StoppedReport {
        let r = try stored()
        return StoppedReport(generatedAt: now, serverName: server,
                             session: Session(server: Peer(name: server), serverExit: latest.exitStatus ?? "stopped"),
                             overview: overview(r), targets: r?.targets.map(target) ?? [], store: storedNote(r))
    }

    private func health(_ report: StoppedReport) -> Health {
        let message = "\(server) has stopped (\(ended)); figures are from the store"
        return Health(status: "degraded", issues: [.init(severity: "warning", message: message)], summary: message,
                      totalCalls: report.overview.totalCalls, uptimeSeconds: report.overview.uptimeSeconds)
    }

    func snapshot() throws -> Snapshot {
        let r = try report()
        return Snapshot(time: now, uptimeSeconds: r.overview.uptimeSeconds, serverName: server, health: health(r), overview: r.overview,
                        tools: r.targets, store: r.store)
    }

    /// Its alert transitions from the store, newest first (nothing is active: its rules went with its process).
    private func alerts(limit: Int) throws -> Alerts {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let events = try reader.alertEvents(server: server, limit: limit).compactMap { try? decoder.decode(AlertEvent.self, from: Data($0.utf8)) }
        return Alerts(history: events)
    }

    private func toolDetail(name: String, method: String?, seconds: Int) throws -> FleetHistoryAnswer {
        let figures = try stored()?.targets.first { ($0.target == name || ($0.target.isEmpty && $0.method == name)) && (method == nil || $0.method == method) }
        guard let figures else { return refusal(404, "no calls to '\(name)' are in the store for \(String(reflecting: server))'s last run") }
        // The tool's last `seconds` of the run, the same window the live detail shows, at the live detail's step.
        let end = until
        let key = TargetKey(method: figures.method, target: figures.target.isEmpty ? nil : figures.target)
        let step = MetricsStore.defaultStep(seconds: seconds)
        let points = try HistorySeries.storePoints(reader, server: server, since: end.addingTimeInterval(-Double(seconds)), until: end,
                                                   step: step, target: key, now: now).points
        return try json(Detail(target: target(figures), series: points.map {
            SeriesPoint(time: $0.time, calls: $0.calls, errors: $0.errors, avgMs: $0.avgMs, maxMs: $0.maxMs)
        }))
    }

    // MARK: - Plumbing

    private func json<T: Encodable>(_ value: T) throws -> FleetHistoryAnswer {
        FleetHistoryAnswer(body: try Report.encoder().encode(value))
    }

    private func refusal(_ status: Int, _ message: String) -> FleetHistoryAnswer {
        // The shape of every API error (APIError.response); 409 and 410 tell the page the server has stopped.
        struct Body: Encodable {
            struct Inner: Encodable { var status: Int; var message: String }
            var error: Inner
        }
        return FleetHistoryAnswer(status: status, body: (try? Report.encoder().encode(Body(error: .init(status: status, message: message)))) ?? Data())
    }

    /// The query's parameters, percent-decoded (the last of a repeated one).
    static func parameters(_ query: String) -> [String: String] {
        var out: [String: String] = [:]
        for item in query.split(separator: "&") {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { let t = s.replacingOccurrences(of: "+", with: " "); return t.removingPercentEncoding ?? t }
            guard let key = parts.first.map(decode) else { continue }
            out[key] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return out
    }
}
