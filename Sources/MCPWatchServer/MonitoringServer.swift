import Foundation
import Hummingbird
import Logging
import MCPWatchCore
import MCPWatchStore
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Where the HTTP face reads from: snapshots only, never live relay state.
public struct MonitoringSources: Sendable {
    /// The measurements.
    public var store: MetricsStore
    /// The `--name` of the monitored server, if given.
    public var serverName: String?
    /// The latest process and host figures, when sampling runs (with the window's series when asked).
    public var system: @Sendable (_ includeSeries: Bool) -> SystemReport?
    /// `pipe` for stdio, `tcp` for HTTP: the `network_transport` label.
    public var transport: String
    /// Decides `/api/health`.
    public var health: HealthPolicy
    /// The alert rules and their state, when alerts are on.
    public var alerts: AlertEngine?
    /// The dashboard's tool explorer, when mcpwatch relays a server it can send its own requests to.
    public var explorer: ToolExplorer?
    /// The local store (its writer's status, its call log and history), when it is on.
    public var history: StoreHistory?
    /// What traffic control did, when a `traffic:` section configures it (`/api/traffic`, `/metrics`, the report).
    public var traffic: TrafficStats?
    /// How `/metrics` writes buckets and resource URIs (`http.metrics_*`).
    public var prometheus = PrometheusOptions()

    /// Creates sources.
    public init(store: MetricsStore, serverName: String? = nil, transport: String = "pipe",
                health: HealthPolicy = HealthPolicy(), alerts: AlertEngine? = nil, explorer: ToolExplorer? = nil,
                system: @escaping @Sendable (_ includeSeries: Bool) -> SystemReport? = { _ in nil }) {
        self.store = store
        self.explorer = explorer
        self.serverName = serverName
        self.system = system
        self.transport = transport
        self.health = health
        self.alerts = alerts
    }

    /// A fresh report.
    public func report() -> Report {
        var report = store.report(system: system(false), serverName: serverName)
        report.traffic = traffic?.report(serverLatency: store)
        return report
    }
}

/// The monitoring HTTP server: Prometheus `/metrics`, the JSON API, and aliases for existing scripts.
///
/// It runs on the event loops it is given (the command gives it one thread of its own); the relay never waits for
/// it, and a slow client only slows itself. As a `Service` it serves until graceful shutdown, then lets the requests
/// in progress finish and returns.
public struct MonitoringServer: Service {
    /// Where and how to listen.
    public struct Configuration: Sendable {
        /// Host to bind.
        public var host: String
        /// Port to bind (0: any free port).
        public var port: Int
        /// Requests slower than this are logged.
        public var slowRequestThreshold: Duration
        /// API keys; when any is set, every endpoint requires one.
        public var apiKeys: [String]
        /// Whether `/api/health` (and its alias) answers without a key.
        public var healthWithoutKey: Bool
        /// Request bodies larger than this are refused with 413.
        public var maxRequestBodyBytes: Int
        /// Host names answered besides loopback ones and the bound address (`http.allowed_hosts`).
        public var allowedHosts: [String]
        /// Browser origins allowed besides the dashboard's own (`http.allowed_origins`); they get CORS headers.
        public var allowedOrigins: [String]
        /// The machine's own names, answered when bound to every interface.
        public var machineNames: [String]

        /// Creates a configuration.
        public init(host: String = "127.0.0.1", port: Int = 9470, slowRequestThreshold: Duration = .milliseconds(500),
                    apiKeys: [String] = [], healthWithoutKey: Bool = false, maxRequestBodyBytes: Int = 1 << 20,
                    allowedHosts: [String] = [], allowedOrigins: [String] = [], machineNames: [String] = []) {
            self.host = host
            self.port = port
            self.slowRequestThreshold = slowRequestThreshold
            self.apiKeys = apiKeys
            self.healthWithoutKey = healthWithoutKey
            self.maxRequestBodyBytes = maxRequestBodyBytes
            self.allowedHosts = allowedHosts
            self.allowedOrigins = allowedOrigins
            self.machineNames = machineNames
        }

        /// The Host, Origin and acting-request checks these settings describe.
        public var crossSiteGuard: CrossSiteGuard {
            CrossSiteGuard(hosts: HostPolicy(boundHost: host, allowedHosts: allowedHosts, machineNames: machineNames),
                           allowedOrigins: allowedOrigins)
        }
    }

    /// The configuration in force.
    public let configuration: Configuration
    /// The data served.
    public let sources: MonitoringSources
    /// The HTTP server's own metrics.
    public let httpMetrics = HTTPServerMetrics()
    /// `/metrics` gzip, reusing the compressed bytes of what did not change since the last scrape.
    let metricsGzip = MetricsGzip()
    /// Open `/api/events` and `/api/stream` streams, bounded.
    let eventStreams = EventStreamLimiter(limit: 64)
    /// The dashboard's files, read once.
    public let dashboard: DashboardAssets
    /// Where it serves: one thread is enough, and keeps the monitoring side off the relay's cores.
    public let eventLoopGroup: any EventLoopGroup
    /// The fleet: this process's socket, `/api/servers` and `server=NAME` (nil: this process alone, as in tests).
    public var fleet: FleetFrontDoor?
    let logger: Logger

    /// Creates a server.
    /// - Parameters:
    ///   - dashboard: the dashboard's files (default: found beside the binary or in the source tree).
    ///   - eventLoopGroup: the event loops to serve on; commands pass a group of their own (see ``eventLoopThreads``),
    ///     the default (NIO's shared group) is for tests that only build the router.
    public init(configuration: Configuration, sources: MonitoringSources, logger: Logger, dashboard: DashboardAssets = .load(),
                eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.configuration = configuration
        self.sources = sources
        self.logger = logger
        self.dashboard = dashboard
        self.eventLoopGroup = eventLoopGroup
    }

    /// Serves until graceful shutdown or cancellation.
    /// - Throws: when the address cannot be bound.
    public func run() async throws {
        try await run(onRunning: { _ in })
    }

    /// Serves until graceful shutdown or cancellation.
    /// - Parameter onRunning: called with the bound port once listening.
    /// - Throws: when the address cannot be bound (the caller reports it and keeps proxying).
    public func run(onRunning: @escaping @Sendable (Int) async -> Void) async throws {
        // Hummingbird logs a normal shutdown (cancellation) at error level; failures that matter (a taken port)
        // are thrown and reported by the caller, so its own log is kept to critical.
        var quiet = logger
        quiet.logLevel = .critical
        let app = Application(
            router: buildRouter(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "mcpwatch"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            eventLoopGroupProvider: .shared(eventLoopGroup),
            logger: quiet)
        try await app.run()
    }

    /// Threads for the monitoring side's event loop group: one, so that however hard it is hit it can take at most
    /// one core and the relay's threads always have the other (with two, a `wrk` run on a 2-core machine pushed the
    /// relay's p99 up tenfold).
    public static let eventLoopThreads = 1

    /// The routes, for the server and for tests (`HummingbirdTesting`-free: tests call `run` on port 0).
    /// - Parameter socket: the routes of the fleet socket, which only this user can reach (its folder is 0700) and
    ///   only the front door calls: no cross-site guard, no key, no `server=` (the front door checked them).
    public func buildRouter(socket: Bool = false) -> Router<BasicRequestContext> {
        let router = Router()
        router.middlewares.add(ObservabilityMiddleware(metrics: httpMetrics, slowThreshold: configuration.slowRequestThreshold, logger: logger))
        if !socket { router.middlewares.add(CrossSiteMiddleware(guardian: configuration.crossSiteGuard)) }
        if !socket && !configuration.apiKeys.isEmpty {
            router.middlewares.add(APIKeyMiddleware(
                keys: configuration.apiKeys.map { Array($0.utf8) },
                openPaths: configuration.healthWithoutKey ? ["/api/health", "/performance/health"] : []))
        }
        router.middlewares.add(RequestBodyLimitMiddleware(maxBytes: configuration.maxRequestBodyBytes))
        if let fleet, !socket { router.middlewares.add(FleetMiddleware(fleet: fleet, maxBody: configuration.maxRequestBodyBytes)) }
        addFleetRoutes(to: router)
        let sources = sources
        let metrics = httpMetrics
        let gzip = metricsGzip

        router.get("/metrics") { request, _ in
            Self.prometheus(sources: sources, httpMetrics: metrics, gzip: gzip, openMetrics: Self.wantsOpenMetrics(request), request: request)
        }
        router.get("/api/openapi.json") { request, _ in
            Response.body(ByteBuffer(bytes: EmbeddedFiles.openAPIDocument), contentType: "application/json; charset=utf-8", request: request)
        }
        router.get("/api/report") { request, _ in try Self.reportJSON(sources.report(), request: request) }
        router.get("/performance/dashboard") { request, _ in try Self.reportJSON(sources.report(), request: request) }
        router.get("/api/sessions") { request, _ in
            let table = sources.store.sessions
            let list = table.summaries()
            return try Self.json(
                SessionList(sessionCount: list.reduce(0) { $0 + ($1.closed ? 0 : 1) }, sessionsTotal: table.totalOpened, sessions: list),
                request: request)
        }
        router.get("/api/tools") { request, _ in
            let report = sources.report()
            let method = request.uri.queryParameters.get("method")
            return try Self.json(ToolList(tools: report.targets.filter { method == nil || $0.method == method }), request: request)
        }
        router.get("/api/tools/**") { request, _ in
            // From the raw path, percent-decoded: the router's segments drop empty ones, and a resource URI like
            // `demo://readme` must keep its `//`.
            let raw = request.uri.path.dropFirst("/api/tools/".count)
            guard let name = String(raw).removingPercentEncoding else {
                throw APIError.badRequest("the name in the path is not valid percent-encoding")
            }
            return try Self.toolDetail(name: name, request: request, sources: sources)
        }
        router.get("/performance/metrics") { request, _ in
            guard let name = request.uri.queryParameters.get("tool_name"), !name.isEmpty else {
                _ = try Self.seconds(request)
                return try Self.reportJSON(sources.report(), request: request)
            }
            return try Self.toolDetail(name: name, request: request, sources: sources)
        }
        router.get("/api/system") { request, _ in try Self.system(sources, request: request) }
        router.get("/system_info") { request, _ in try Self.system(sources, request: request) }
        router.get("/api/health") { request, _ in try Self.health(sources, request: request) }
        router.get("/performance/health") { request, _ in try Self.health(sources, request: request) }
        router.get("/api/alerts") { request, _ in try Self.alerts(sources, request: request) }
        router.get("/performance/alerts") { request, _ in try Self.alerts(sources, request: request) }
        let streams = eventStreams
        router.get("/api/events") { request, _ in try Self.events(sources, streams: streams, request: request) }
        router.get("/api/metrics") { request, _ in
            switch request.uri.queryParameters.get("format") ?? "json" {
            case "json": return try Self.reportJSON(sources.report(), request: request)
            case "prometheus": return Self.prometheus(sources: sources, httpMetrics: metrics, gzip: gzip, openMetrics: false, request: request)
            case let other: throw APIError.badRequest("parameter 'format' must be 'json' or 'prometheus', not '\(other)'")
            }
        }
        addDashboardRoutes(to: router)
        addCallRoutes(to: router)
        addTrafficRoutes(to: router)
        return router
    }

    struct ToolList: Codable {
        var tools: [TargetReport]
    }

    /// `/api/sessions`: the Streamable HTTP sessions (empty over stdio).
    struct SessionList: Codable {
        var sessionCount: Int
        var sessionsTotal: UInt64
        var sessions: [SessionSummary]
    }

    /// The `seconds` query parameter: 1 to 3600, default 300.
    static func seconds(_ request: Request) throws -> Int {
        guard let text = request.uri.queryParameters.get("seconds") else { return 300 }
        guard let value = Int(text), (1...3_600).contains(value) else {
            throw APIError.badRequest("parameter 'seconds' must be a whole number from 1 to 3600, not '\(text)'")
        }
        return value
    }

    /// Paths served, for telling "wrong method" (405) from "no such endpoint" (404).
    static let paths: Set<String> = [
        "/metrics", "/api/openapi.json", "/api/report", "/performance/dashboard", "/api/tools", "/performance/metrics",
        "/api/system", "/system_info", "/api/health", "/performance/health", "/api/metrics", "/api/alerts",
        "/performance/alerts", "/api/events", "/", "/api/series", "/api/snapshot", "/api/stream", "/api/explorer/tools",
        "/api/explorer/calls", "/api/call_tool", "/api/sessions", "/api/servers", "/api/fleet/instance", "/api/calls",
        "/api/traffic",
    ]

    /// Paths that take POST instead of GET.
    static let postPaths: Set<String> = ["/api/call_tool"]

    static func isServed(_ path: String) -> Bool {
        paths.contains(path) || path.hasPrefix("/api/tools/") || path.hasPrefix("/assets/")
    }

    static func toolDetail(name: String, request: Request, sources: MonitoringSources) throws -> Response {
        let seconds = try seconds(request)
        let method: String? = request.uri.queryParameters.get("method").map { String($0) }
        guard let detail = sources.store.targetDetail(name: name, method: method, seconds: seconds) else {
            throw APIError.notFound("no calls to '\(name)' have been seen")
        }
        return try json(detail, request: request)
    }

    static func system(_ sources: MonitoringSources, request: Request) throws -> Response {
        guard let system = sources.system(true) else {
            return APIError.response(status: .serviceUnavailable, message: "process and host sampling has not run yet")
        }
        return try json(system, request: request)
    }

    static func health(_ sources: MonitoringSources, request: Request) throws -> Response {
        let health = withStore(sources.health.evaluate(sources.report(), alerts: sources.alerts?.alerts ?? []), sources)
        // 200 while the service answers at all; the verdict is in the body, so scripts can tell degraded apart.
        return try json(health, status: health.status == .unhealthy ? .serviceUnavailable : .ok, request: request)
    }

    static func wantsOpenMetrics(_ request: Request) -> Bool {
        request.headers[.accept]?.contains("application/openmetrics-text") == true
    }

    static func prometheus(sources: MonitoringSources, httpMetrics: HTTPServerMetrics, gzip: MetricsGzip, openMetrics: Bool, request: Request) -> Response {
        // Counters straight from the store: a scrape needs no percentiles, so it never builds the JSON report.
        let counters = sources.store.counters(serverName: sources.serverName)
        let server = counters.serverName ?? "unknown"
        var exposition = PrometheusExposition(openMetrics: openMetrics, capacity: 64 << 10 + counters.targets.count * 7_000)
        exposition.writeCalls(counters, server: server, transport: sources.transport, options: sources.prometheus)
        if let system = sources.system(false) { exposition.writeSystem(system, server: server) }
        if let alerts = sources.alerts { exposition.writeAlerts(alerts.report(limit: 0), server: server) }
        if let traffic = sources.traffic { exposition.writeTraffic(traffic.snapshot(), server: server, transport: sources.transport) }
        if let status = sources.history?.status { exposition.writeStore(status.snapshot, server: server) }
        if sources.store.traceTap.isEnabled { exposition.writeTelemetry(sources.store.traceTap, server: server) }
        httpMetrics.write(to: &exposition)
        let text = exposition.finishBytes()
        let contentType = openMetrics ? PrometheusExposition.openMetricsContentType : PrometheusExposition.textContentType
        if text.count >= Response.compressionThreshold, Response.acceptsGzip(request) {
            return .gzipped(ByteBuffer(bytes: gzip.compress(text, segments: exposition.segments, openMetrics: openMetrics)), contentType: contentType)
        }
        return .body(ByteBuffer(bytes: text), contentType: contentType, request: request)
    }

    /// A report, written by ``ReportJSONWriter``: the encoder alone took over 20 ms at 1,000 targets.
    static func reportJSON(_ report: Report, request: Request) throws -> Response {
        .body(ByteBuffer(bytes: try ReportJSONWriter.data(report)), contentType: "application/json; charset=utf-8", request: request)
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok, request: Request) throws -> Response {
        let data = try Report.encoder().encode(value)
        return .body(ByteBuffer(bytes: data), contentType: "application/json; charset=utf-8", status: status, request: request)
    }
}
