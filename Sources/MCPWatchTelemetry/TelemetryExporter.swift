import Foundation
import Logging
import MCPWatchCore
import Metrics
import OTel
import ServiceLifecycle
import Tracing

/// The OTLP side of mcpwatch (swift-otel): drains the finished calls that the relays' ``TraceContextTap`` queued,
/// records a span for each (with the times the relay saw, its parent from the request's `_meta`) and the
/// operation-duration histogram, and samples the process and host figures; swift-otel's services batch and send
/// them. It runs on its own task: a collector that is down, slow or refusing fills swift-otel's bounded queue and
/// then the tap's, which drops and counts; the relay never waits for any of it.
public struct TelemetryExporter: Sendable {
    /// The conventions' advised buckets for `mcp.*.duration`, in seconds.
    public static let durationBuckets: [Double] = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300]

    let tap: TraceContextTap
    let tracer: (any Tracer)?
    let metrics: (any MetricsFactory)?
    /// swift-otel's exporters and processors.
    let services: [any Service]
    let settings: TelemetrySettings
    let transport: String
    let logger: Logger
    /// The MCP revision in use, read when spans are recorded.
    let protocolVersion: @Sendable () -> String?
    /// The process and host figures, when sampled.
    let system: @Sendable () -> SystemReport?
    /// Time between two readings of the process and host figures: half the metric export interval.
    var systemInterval: Duration = .seconds(30)
    /// The transport sessions (Streamable HTTP), for `mcp.server.session.duration`.
    var sessions: @Sendable () -> [SessionSummary] = { [] }
    /// The one session of a stdio connection (its start and protocol version), recorded when mcpwatch stops.
    var wholeSession: @Sendable () -> (startedAt: Date, protocolVersion: String?)? = { nil }

    /// Sets up export from the settings and the standard `OTEL_*` variables; nil when neither traces nor metrics
    /// are on.
    /// - Throws: swift-otel's configuration error (an unusable endpoint, say).
    public static func configured(
        _ settings: TelemetrySettings, environment: [String: String] = ProcessInfo.processInfo.environment,
        tap: TraceContextTap, transport: String, serverName: String?, logger: Logger,
        protocolVersion: @escaping @Sendable () -> String?, system: @escaping @Sendable () -> SystemReport?,
        sessions: @escaping @Sendable () -> [SessionSummary] = { [] },
        wholeSession: @escaping @Sendable () -> (startedAt: Date, protocolVersion: String?)? = { nil }
    ) throws -> TelemetryExporter? {
        let traces = settings.tracesEnabled(environment: environment)
        let metricsOn = settings.metricsEnabled(environment: environment)
        guard traces || metricsOn else { return nil }
        let diagnostics = Logger(label: "mcpwatch.otel") { _ in ExportDiagnostics(base: logger, tap: tap, said: SaidOnce()) }
        let configuration = otelConfiguration(settings, traces: traces, metrics: metricsOn, serverName: serverName, logger: diagnostics)
        var services: [any Service] = []
        var tracer: (any Tracer)?
        var factory: (any MetricsFactory)?
        if traces {
            let backend = try OTel.makeTracingBackend(configuration: configuration)
            tracer = backend.factory
            services.append(backend.service)
        }
        if metricsOn {
            let backend = try OTel.makeMetricsBackend(configuration: configuration)
            factory = backend.factory
            services.append(backend.service)
        }
        // OTEL_METRIC_EXPORT_INTERVAL (milliseconds) wins over otel.metric_interval, as it does in swift-otel.
        let exportInterval = environment["OTEL_METRIC_EXPORT_INTERVAL"].flatMap(UInt.init).map { Duration.milliseconds(Int($0)) }
            ?? settings.metricInterval
        return TelemetryExporter(tap: tap, tracer: tracer, metrics: factory, services: services, settings: settings,
                                 transport: transport, logger: logger, protocolVersion: protocolVersion, system: system,
                                 systemInterval: max(.milliseconds(100), exportInterval / 2),
                                 sessions: sessions, wholeSession: wholeSession)
    }

    /// swift-otel's configuration for these settings; the standard variables are applied over it by swift-otel.
    public static func otelConfiguration(_ settings: TelemetrySettings, traces: Bool, metrics: Bool, serverName: String?, logger: Logger) -> OTel.Configuration {
        var configuration = OTel.Configuration.default
        configuration.serviceName = settings.serviceName ?? "mcpwatch"
        var attributes: [String: String] = [:]
        if let serverName { attributes["mcp.server.name"] = serverName }
        for pair in settings.resourceAttributes {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { attributes[String(parts[0]).trimmingCharacters(in: .whitespaces)] = String(parts[1]).trimmingCharacters(in: .whitespaces) }
        }
        configuration.resourceAttributes = attributes
        configuration.diagnosticLogger = .custom(logger)
        configuration.diagnosticLogLevel = .warning
        configuration.logs.enabled = false
        configuration.traces.enabled = traces
        configuration.metrics.enabled = metrics
        configuration.traces.exporter = .otlp
        configuration.metrics.exporter = .otlp
        configuration.traces.sampler = sampler(settings)
        configuration.traces.batchSpanProcessor.scheduleDelay = settings.scheduleDelay
        configuration.traces.batchSpanProcessor.maxQueueSize = settings.queueSize
        configuration.traces.batchSpanProcessor.maxExportBatchSize = min(512, settings.queueSize)
        // A collector that hangs must not hold a batch for long: the next ones wait behind it (and are dropped).
        configuration.traces.batchSpanProcessor.exportTimeout = .seconds(5)
        configuration.metrics.exportInterval = settings.metricInterval
        configuration.metrics.exportTimeout = .seconds(5)
        configuration.metrics.valueHistogramBuckets = [
            "mcp.server.operation.duration": durationBuckets, "mcp.server.session.duration": durationBuckets,
        ]
        configuration.traces.otlpExporter = exporterConfiguration(settings, base: configuration.traces.otlpExporter, path: "v1/traces")
        configuration.metrics.otlpExporter = exporterConfiguration(settings, base: configuration.metrics.otlpExporter, path: "v1/metrics")
        return configuration
    }

    /// `otel.endpoint` is a base URL, as `OTEL_EXPORTER_OTLP_ENDPOINT` is: the signal's path is added.
    static func exporterConfiguration(_ settings: TelemetrySettings, base: OTel.Configuration.OTLPExporterConfiguration, path: String) -> OTel.Configuration.OTLPExporterConfiguration {
        var exporter = base
        if let endpoint = settings.endpoint { exporter.endpoint = endpoint.hasSuffix("/") ? endpoint + path : endpoint + "/" + path }
        exporter.protocol = settings.wireProtocol == "http/json" ? .httpJSON : .httpProtobuf
        exporter.timeout = .seconds(5)
        return exporter
    }

    static func sampler(_ settings: TelemetrySettings) -> OTel.Configuration.TracesConfiguration.SamplerConfiguration {
        switch settings.sampler {
        case .alwaysOn: .alwaysOn
        case .alwaysOff: .alwaysOff
        case .traceIDRatio: .traceIDRatio(ratio: settings.samplerRatio) ?? .traceIDRatio
        case .parentBasedAlwaysOn: .parentBasedAlwaysOn
        case .parentBasedAlwaysOff: .parentBasedAlwaysOff
        case .parentBasedTraceIDRatio: .parentBasedTraceIDRatio(ratio: settings.samplerRatio) ?? .parentBasedTraceIDRatio
        }
    }

    /// Turns the tap on (and, with `otel.propagate` and traces, the span start at forwarding).
    public func enableTap() {
        guard let tracer, settings.propagate else {
            tap.enable(capacity: settings.queueSize, starter: nil)
            return
        }
        tap.enable(capacity: settings.queueSize) { parent, name, start in
            let context = Self.context(parent, tracer: tracer)
            let span = tracer.startSpan(name, context: context, ofKind: .server, at: EpochInstant(nanosecondsSinceEpoch: start))
            var headers: [String: String] = [:]
            tracer.inject(span.context, into: &headers, using: TraceHeaders())
            return TraceContextTap.StartedSpan(traceparent: headers["traceparent"], span: span)
        }
    }

    /// The context whose span is `parent` (the request's own), or the top level.
    static func context(_ parent: TraceContext?, tracer: any Tracer) -> InstrumentationContext {
        var context = InstrumentationContext.topLevel
        guard let parent else { return context }
        var headers = ["traceparent": parent.traceparent]
        if let state = parent.tracestate { headers["tracestate"] = state }
        if let baggage = parent.baggage { headers["baggage"] = baggage }
        tracer.extract(headers, into: &context, using: TraceHeaders())
        return context
    }

    /// swift-otel's exporters and processors, to run as services that stop after ``runDrain()`` (so that its last
    /// spans are still sent).
    public var backends: [any Service] { services }

    /// Turns the tap on and moves finished calls to swift-otel until graceful shutdown, with a last round then.
    public func runDrain() async {
        enableTap()
        await drainLoop()
    }

    private func drainLoop() async {
        var state = DrainState()
        var nextSystem = ContinuousClock.now
        var nextSessions = ContinuousClock.now
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            drainOnce(&state)
            if metrics != nil, ContinuousClock.now >= nextSystem, let report = system() {
                recordSystem(report, state: &state)
                nextSystem = ContinuousClock.now + systemInterval
            }
            if metrics != nil, ContinuousClock.now >= nextSessions {
                recordClosedSessions(&state)
                nextSessions = ContinuousClock.now + .seconds(1)
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        drainOnce(&state)
        if metrics != nil {
            recordClosedSessions(&state)
            if let whole = wholeSession() { recordSession(seconds: Date().timeIntervalSince(whole.startedAt), protocolVersion: whole.protocolVersion, state: &state) }
        }
    }

    /// `mcp.server.session.duration` for each transport session that closed since the last look (protocol versions
    /// up to 2025-11-25 only: 2026-07-28 has no sessions).
    func recordClosedSessions(_ state: inout DrainState) {
        for session in sessions() where session.closed && !state.closedSessions.contains(session.id) {
            if state.closedSessions.count > 100_000 { state.closedSessions.removeAll() }
            state.closedSessions.insert(session.id)
            recordSession(seconds: session.lastSeen.timeIntervalSince(session.startedAt), protocolVersion: session.protocolVersion, state: &state)
        }
    }

    func recordSession(seconds: Double, protocolVersion: String?, state: inout DrainState) {
        guard let factory = metrics, let protocolVersion, protocolVersion < "2026-07-28" else { return }
        let dimensions = [("mcp.protocol.version", protocolVersion), ("network.transport", transport)]
        let key = "session\u{1}" + protocolVersion
        let recorder = state.recorders[key] ?? Recorder(
            label: "mcp.server.session.duration",
            dimensions: dimensions + [("unit", "s"), ("description", "Duration of MCP sessions, as mcpwatch saw them")],
            aggregate: true, factory: factory)
        state.recorders[key] = recorder
        recorder.record(max(0, seconds))
    }

    /// What the drain loop keeps between rounds: the metric handles, cached by their attributes.
    struct DrainState {
        var recorders: [String: Recorder] = [:]
        var droppedLogged = false
        var closedSessions: Set<String> = []
    }

    func drainOnce(_ state: inout DrainState) {
        let calls = tap.drain()
        if !state.droppedLogged, tap.droppedCount > 0 {
            state.droppedLogged = true
            logger.warning("the OTLP exporter fell behind (the collector is down or slow): spans are being dropped; mcpwatch_otel_spans_dropped_total counts them",
                           metadata: ["queue_size": "\(settings.queueSize)"])
        }
        guard !calls.isEmpty else { return }
        let version = protocolVersion()
        for traced in calls {
            // The attributes are worked out once, and only for a span that is sampled or a metric that is on.
            var description: CallSpan?
            if let tracer { description = recordSpan(traced, tracer: tracer, protocolVersion: version) }
            if let metrics {
                recordDuration(traced, description ?? CallSpan(traced, transport: transport, protocolVersion: version),
                               factory: metrics, state: &state)
            }
        }
    }

    /// Records the call's span, unless sampled out; gives its description when it worked one out.
    func recordSpan(_ traced: TraceContextTap.TracedCall, tracer: any Tracer, protocolVersion: String?) -> CallSpan? {
        let span: any Span
        if let started = traced.startedSpan as? any Span {
            span = started
        } else {
            span = tracer.startSpan(TraceContextTap.spanName(method: traced.call.method, target: traced.call.target),
                                    context: Self.context(traced.parent, tracer: tracer), ofKind: .server,
                                    at: EpochInstant(nanosecondsSinceEpoch: traced.startNanos))
        }
        guard span.isRecording else { return nil }
        let description = CallSpan(traced, transport: transport, protocolVersion: protocolVersion)
        var attributes = SpanAttributes()
        for (key, value) in description.attributes { attributes[key] = value }
        span.attributes = attributes
        if description.errorType != nil { span.setStatus(SpanStatus(code: .error, message: description.errorMessage)) }
        span.end(at: EpochInstant(nanosecondsSinceEpoch: max(traced.endNanos, traced.startNanos)))
        return description
    }

    /// The conventions' metric attributes: bounded values only (no ids, no URIs).
    func recordDuration(_ traced: TraceContextTap.TracedCall, _ description: CallSpan, factory: any MetricsFactory, state: inout DrainState) {
        var dimensions: [(String, String)] = []
        for key in ["mcp.method.name", "gen_ai.tool.name", "gen_ai.prompt.name", "gen_ai.operation.name", "error.type",
                    "rpc.response.status_code", "network.transport", "mcp.protocol.version"] {
            if case .string(let value)? = description.attributes[key] { dimensions.append((key, value)) }
        }
        let cacheKey = dimensions.map { "\($0.0)=\($0.1)" }.joined(separator: "\u{1}")
        let recorder: Recorder
        if let cached = state.recorders[cacheKey] {
            recorder = cached
        } else {
            recorder = Recorder(label: "mcp.server.operation.duration",
                                dimensions: dimensions + [("unit", "s"), ("description", "Duration of MCP requests, as mcpwatch saw them between client and server")],
                                aggregate: true, factory: factory)
            if state.recorders.count < 10_000 { state.recorders[cacheKey] = recorder }
        }
        recorder.record(Double(traced.call.durationNanos) / 1_000_000_000)
    }

    /// The process and host figures under OpenTelemetry's `process.*` and `system.*` names.
    func recordSystem(_ report: SystemReport, state: inout DrainState) {
        guard let factory = metrics else { return }
        func gauge(_ name: String, _ unit: String, _ value: Double, _ dimensions: [(String, String)] = []) {
            let key = name + dimensions.map { "\($0.0)=\($0.1)" }.joined()
            let recorder = state.recorders[key] ?? Recorder(label: name, dimensions: dimensions + [("unit", unit)], aggregate: false, factory: factory)
            state.recorders[key] = recorder
            recorder.record(value)
        }
        var processes: [(String, ProcessReport)] = [("mcpwatch", report.mcpwatch)]
        if let server = report.server { processes.append(("server", server)) }
        for (role, process) in processes {
            let dimensions = [("process.pid", String(process.pid)), ("mcpwatch.process.role", role)]
            gauge("process.cpu.utilization", "1", process.cpuPercent.current / 100, dimensions)
            gauge("process.cpu.time", "s", process.cpuSecondsTotal, dimensions)
            gauge("process.memory.usage", "By", process.residentBytes.current, dimensions)
            gauge("process.memory.virtual", "By", process.virtualBytes.current, dimensions)
            gauge("process.thread.count", "{thread}", process.threads.current, dimensions)
            gauge("process.unix.file_descriptor.count", "{file_descriptor}", process.openFds.current, dimensions)
        }
        let host = report.host
        gauge("system.cpu.logical.count", "{cpu}", Double(host.cpuCount))
        gauge("system.cpu.utilization", "1", host.cpuPercent.current / 100)
        gauge("system.memory.utilization", "1", host.memoryUsedPercent.current / 100)
        gauge("system.memory.limit", "By", Double(host.memoryTotalBytes))
        gauge("system.memory.usage", "By", Double(host.memoryTotalBytes) - Double(host.memoryAvailableBytes))
        gauge("system.filesystem.utilization", "1", host.diskUsedPercent.current / 100, [("system.filesystem.mountpoint", host.diskPath)])
        gauge("system.cpu.load_average.1m", "{thread}", host.load1)
    }
}
