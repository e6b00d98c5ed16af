import Foundation
import Hummingbird
import MCPWatchCore
import NIOCore

/// One update of the dashboard's live stream (`GET /api/stream`, `GET /api/snapshot`).
struct DashboardUpdate: Encodable {
    /// The last minute of all calls together: the live cards.
    struct Window: Encodable {
        var seconds: Int
        var calls: Int
        var errors: Int
        var callsPerSecond: Double
        var successRate: Double?
        var errorRate: Double?
        var avgMs: Double?
        var p50Ms: Double?
        var p95Ms: Double?
        var p99Ms: Double?
        var inFlight: Int
    }

    /// How many alerts are in each state and severity.
    struct AlertCounts: Encodable {
        var firing = 0
        var pending = 0
        var critical = 0
        var warning = 0
    }

    var time: Date
    var full: Bool
    var uptimeSeconds: Double
    var serverName: String?
    var serverAlive: Bool
    /// The client (the last one seen, over HTTP) and the protocol version in use, for the top bar.
    var client: PeerInfo?
    var protocolVersion: String?
    var health: HealthReport
    var overview: Overview
    var window: Window
    var point: OverallPoint?
    var system: SystemReport?
    var alerts: AlertCounts
    var tools: [TargetReport]
}

/// What one stream sent last of each target, so that later updates carry only the targets that changed.
struct DashboardDelta {
    private var sent: [String: (calls: UInt64, inFlight: Int, rate: Int)] = [:]

    mutating func changed(_ targets: [TargetReport]) -> [TargetReport] {
        targets.filter { t in
            let key = t.method + "\u{0}" + t.name
            let signature = (t.calls, t.inFlight, Int((t.callsPerSecond * 100).rounded()))
            if let last = sent[key], last == signature { return false }
            sent[key] = signature
            return true
        }
    }
}

extension MonitoringServer {
    /// The dashboard's routes: its files, the chart series, the live stream and the tool explorer.
    func addDashboardRoutes(to router: Router<BasicRequestContext>) {
        let assets = dashboard
        let sources = sources
        let streams = eventStreams
        let ownServerName = ownName()
        router.get("/") { request, _ in
            assets.response("index.html", request: request)
                ?? Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: DashboardAssets.missingPage)))
        }
        router.get("/assets/:file") { request, context in
            let name = context.parameters.get("file") ?? ""
            guard name != "index.html", let response = assets.response(name, request: request) else {
                throw APIError.notFound("no dashboard file '\(name)'")
            }
            return response
        }
        router.get("/api/series") { request, _ in
            // A range the store reaches back to, this server's history across its instances (MonitoringServer+History).
            if let range = request.uri.queryParameters.get("range") { return try Self.historySeries(sources, server: ownServerName(), request: request, range: String(range)) }
            let seconds = try Self.seconds(request)
            var step: Int?
            if let text = request.uri.queryParameters.get("step") {
                guard let value = Int(text), (1...3_600).contains(value) else {
                    throw APIError.badRequest("parameter 'step' must be a whole number of seconds from 1 to 3600, not '\(text)'")
                }
                step = value
            }
            return try Self.json(sources.store.overallSeries(seconds: seconds, step: step), request: request)
        }
        router.get("/api/snapshot") { request, _ in
            var delta = DashboardDelta()
            return try Self.json(Self.dashboardUpdate(sources, delta: &delta, full: true), request: request)
        }
        router.get("/api/stream") { request, _ in try Self.stream(sources, streams: streams, request: request) }

        let explorer = sources.explorer
        router.get("/api/explorer/tools") { request, _ in
            try await Self.explore(explorer, request: request) { try await $0.listTools() }
        }
        router.get("/api/explorer/calls") { request, _ in
            try await Self.explore(explorer, request: request) { $0.recentCalls() }
        }
        router.post("/api/call_tool") { request, context in
            let body = try await request.body.collect(upTo: context.maxUploadSize)
            return try await Self.explore(explorer, request: request) { try await $0.callTool(body: Data(buffer: body)) }
        }
    }

    static func explore(_ explorer: ToolExplorer?, request: Request, _ body: (ToolExplorer) async throws -> Data) async throws -> Response {
        guard let explorer else {
            return APIError.response(status: .notFound, message: "the tool explorer needs a server that mcpwatch relays (mcpwatch proxy)")
        }
        do {
            return .body(ByteBuffer(data: try await body(explorer)), contentType: "application/json; charset=utf-8", request: request)
        } catch let failure as ToolExplorer.Failure {
            return APIError.response(status: .init(code: failure.status), message: failure.message)
        }
    }

    /// Everything the page shows live, built from snapshots.
    static func dashboardUpdate(_ sources: MonitoringSources, delta: inout DashboardDelta, full: Bool) -> DashboardUpdate {
        let system = sources.system(false)
        let report = sources.store.report(system: system, serverName: sources.serverName)
        let alerts = sources.alerts?.alerts ?? []
        var counts = DashboardUpdate.AlertCounts()
        for alert in alerts where alert.state == .firing || alert.state == .pending {
            if alert.state == .firing { counts.firing += 1 } else { counts.pending += 1 }
            if alert.state == .firing && alert.severity == .critical { counts.critical += 1 }
            if alert.state == .firing && alert.severity == .warning { counts.warning += 1 }
        }
        let minute = sources.store.windowStatistics(.seconds(60), targets: false).all
        let changed = delta.changed(report.targets)
        return DashboardUpdate(
            time: report.generatedAt, full: full, uptimeSeconds: report.overview.uptimeSeconds, serverName: report.serverName,
            serverAlive: report.session.serverAlive ?? false,
            client: report.session.client, protocolVersion: report.session.protocolVersion,
            health: sources.health.evaluate(report, alerts: alerts), overview: report.overview,
            window: .init(
                seconds: 60, calls: minute.calls, errors: minute.errors, callsPerSecond: minute.callsPerSecond,
                successRate: minute.successRate, errorRate: minute.errorRate, avgMs: minute.avgMs, p50Ms: minute.p50Ms,
                p95Ms: minute.p95Ms, p99Ms: minute.p99Ms, inFlight: minute.inFlight),
            point: sources.store.overallSeries(seconds: 1, step: 1).points.last, system: system, alerts: counts,
            tools: full ? report.targets : changed)
    }

    /// `GET /api/stream`: an `update` every second (aligned just after each second of the store, so that its point is
    /// complete), the alert transitions as they happen, a comment every 15 s. Bounded like `/api/events`.
    static func stream(_ sources: MonitoringSources, streams: EventStreamLimiter, request: Request) throws -> Response {
        guard streams.acquire() else { return streams.refusal }
        enum Item: Sendable { case tick, alert(AlertEvent), heartbeat }
        let (items, continuation) = AsyncStream<Item>.makeStream(bufferingPolicy: .bufferingNewest(256))
        let token = sources.alerts?.addListener { continuation.yield(.alert($0)) }
        let store = sources.store
        let ticker = Task {
            var beats = 0
            while !Task.isCancelled {
                // 50 ms past the store's next second (50 ms to 1.05 s from now).
                let into = store.clock.now().nanoseconds(since: store.startInstant) % 1_000_000_000
                try? await Task.sleep(for: .nanoseconds(Int64(1_050_000_000 - into)))
                continuation.yield(.tick)
                beats += 1
                if beats % 15 == 0 { continuation.yield(.heartbeat) }
            }
        }
        return Response(status: .ok, headers: EventStreamLimiter.headers, body: ResponseBody { writer in
            defer {
                ticker.cancel()
                if let token { sources.alerts?.removeListener(token) }
                continuation.finish()
                streams.release()
            }
            var delta = DashboardDelta()
            let encoder = Report.encoder()
            func update(full: Bool) throws -> ByteBuffer {
                var buffer = ByteBuffer(string: "event: update\ndata: ")
                buffer.writeBytes(try encoder.encode(dashboardUpdate(sources, delta: &delta, full: full)))
                buffer.writeString("\n\n")
                return buffer
            }
            try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
            try await writer.write(try update(full: true))
            for await item in items {
                switch item {
                case .tick: try await writer.write(try update(full: false))
                case .alert(let event): try await writer.write(ByteBuffer(string: try sse(event)))
                case .heartbeat: try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                }
            }
            try await writer.finish(nil)
        })
    }
}
