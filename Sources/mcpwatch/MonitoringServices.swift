import ArgumentParser
import Foundation
import Logging
import MCPWatchCore
import MCPWatchServer
import MCPWatchStore
import MCPWatchSystem
import NIOCore
import NIOPosix
import ServiceLifecycle
import UnixSignals

/// What every proxy mode runs beside its relay: process and host sampling, the report file, the monitoring HTTP
/// server and the alert engine, all reading the one store; and the one `ServiceGroup` that runs them with the relay.
struct MonitoringServices: Sendable {
    let store: MetricsStore
    let system: SystemMonitor
    let reports: ReportFileWriter?
    let monitoring: MonitoringServer?
    let alerts: AlertService?
    /// The local store's writer, unless `--no-store`.
    let storeWriter: StoreWriter?
    /// OTLP export (`otel.*`), when on.
    let telemetry: TelemetryService?
    let configuration: WatchConfiguration
    /// What traffic control does, when `traffic:` configures it: created once per proxy here, read by `/metrics`,
    /// `/api/traffic`, the report, the alert rules and the store; hand the same instance to the relays' gate.
    let traffic: TrafficStats?
    let logger: Logger
    /// The server is every process mcpwatch started (the bridge), not one process tree.
    let serverIsEveryChild: Bool

    /// Sets them up from the configuration.
    /// - Throws: ``WatchError`` (`invalidConfiguration`) for a public address without a key or an unreadable key file.
    /// - Parameters:
    ///   - transport: the `network_transport` label: `pipe` for stdio, `tcp` for HTTP.
    ///   - explorer: the dashboard's tool explorer, where mcpwatch can send its own requests.
    ///   - serverIsEveryChild: sample every process mcpwatch started as the server (the bridge's, one per session).
    ///   - eventLoops: where the monitoring HTTP server serves (the command's own group, see ``withEventLoops(_:)``).
    ///   - trafficStats: the figures the relay's traffic gate records into, shown when `traffic:` is configured.
    init(_ configuration: WatchConfiguration, store: MetricsStore, transport: String, explorer: ToolExplorer? = nil,
         serverIsEveryChild: Bool = false, eventLoops: any EventLoopGroup, trafficStats: TrafficStats? = nil,
         logger: Logger) throws {
        self.configuration = configuration
        self.serverIsEveryChild = serverIsEveryChild
        self.store = store
        self.logger = logger
        // One instance per proxy: the relay's gate writes it, every view reads it.
        let traffic = configuration.traffic.map { trafficStats ?? TrafficStats(policy: $0) }
        self.traffic = traffic
        reports = configuration.reportFile.map {
            var writer = ReportFileWriter(path: $0, store: store, serverName: configuration.serverName) { path, error in
                // A full disk or a vanished folder must not stop the relay: say so and try again next time.
                logger.warning("cannot write the report file: \(error)", metadata: ["path": "\(path)"])
            }
            writer.traffic = traffic
            return writer
        }
        let system = SystemMonitor(interval: configuration.sampleInterval, window: configuration.sampleWindow, dataDirectory: configuration.dataDirectory)
        self.system = system
        let alerts = try AlertService.configured(configuration, store: store, system: system, traffic: traffic, logger: logger)
        self.alerts = alerts
        var storeSources = StoreWriter.Sources(metrics: store, system: { system.report() }, alerts: alerts?.engine)
        storeSources.traffic = traffic
        let storeWriter = configuration.store.enabled
            ? StoreWriter(settings: configuration.store, identity: Self.storeIdentity(configuration, transport: transport),
                          sources: storeSources, logger: logger)
            : nil
        self.storeWriter = storeWriter
        telemetry = try TelemetryService.configured(configuration, store: store, system: system, transport: transport, logger: logger)
        var sources = MonitoringSources(store: store, serverName: configuration.serverName, transport: transport,
                                        health: configuration.healthPolicy, alerts: alerts?.engine, explorer: explorer,
                                        system: { system.report(includeSeries: $0) })
        sources.traffic = traffic
        sources.history = storeWriter.map { StoreHistory(settings: configuration.store, status: $0.status) }
        sources.prometheus = configuration.prometheus
        var monitoring = try MonitoringServer.configured(configuration, sources: sources, eventLoopGroup: eventLoops, logger: logger)
        monitoring?.fleet = FleetFrontDoor.member(configuration, store: store, history: sources.history, eventLoops: eventLoops)
        self.monitoring = monitoring
    }

    /// The relay with everything beside it, in the order they stop: the relay, then `signals`, the report file (its
    /// last write), alerts, sampling, and the HTTP server last.
    func shutdownOrder(relay: any Service, signals: (any Service)? = nil) -> ShutdownOrder {
        var helpers: [any Service] = [SystemSampler(monitor: system, store: store, serverIsEveryChild: serverIsEveryChild)]
        if let alerts { helpers.append(alerts) }
        if let telemetry { helpers.append(contentsOf: telemetry.services) }
        // Last of the helpers, so the first to stop after the report file: its last flush holds the drained relay's calls.
        if let storeWriter { helpers.append(storeWriter) }
        return ShutdownOrder(
            relay: relay, signals: signals,
            reports: reports.map { ReportFileService(writer: $0, interval: configuration.reportInterval) },
            helpers: helpers,
            monitoring: monitoring.map { MonitoringService(server: $0, logger: logger) })
    }

    /// What the store records of this process: the server's name (if given), its command or URL, and the mode.
    static func storeIdentity(_ configuration: WatchConfiguration, transport: String) -> StoreIdentity {
        let mode = switch (configuration.upstreamURL != nil, configuration.serveHTTP != nil) {
        case (true, true): "reverse-proxy"
        case (true, false): "stdio-front"
        case (false, true): "bridge"
        case (false, false): "stdio"
        }
        return StoreIdentity(configuredName: configuration.serverName,
                             command: configuration.upstreamURL ?? (configuration.serverCommand.isEmpty ? nil : configuration.serverCommand.joined(separator: " ")),
                             mode: mode, transport: transport)
    }

    /// Runs `relay` and everything beside it in one `ServiceGroup` until the relay has ended and the rest has stopped
    /// in order.
    /// - Parameters:
    ///   - gracefulShutdownSignals: signals that shut the group down (none when `signals` forwards them instead).
    /// - Throws: the relay's error, after the rest has stopped (the last report written).
    func run(relay: any Service, signals: (any Service)? = nil, gracefulShutdownSignals: [UnixSignal] = []) async throws {
        let group = ServiceGroup(configuration: shutdownOrder(relay: relay, signals: signals)
            .configuration(gracefulShutdownSignals: gracefulShutdownSignals, logger: logger))
        try await group.run()
    }

    /// Runs `body` with the event loop group of the monitoring side (and the HTTP relays' until they take their own),
    /// created here and shut down once `body` has returned: no global group outlives a command.
    static func withEventLoops<T: Sendable>(_ body: (MultiThreadedEventLoopGroup) async throws -> T) async throws -> T {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: MonitoringServer.eventLoopThreads)
        do {
            let result = try await body(group)
            try? await group.shutdownGracefully()
            return result
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }
}

/// The monitoring HTTP server in a command's group: serves its fleet socket and, when it can have it, the `--listen`
/// address until graceful shutdown; if the address is taken (another mcpwatch is the fleet's front door) it says so
/// once and tries again every second, so that it takes the address over when its holder exits.
///
/// It stops last, and at once: a dashboard's `/api/events` stream never ends by itself, so waiting for open
/// requests would keep mcpwatch from exiting.
struct MonitoringService: Service {
    let server: MonitoringServer
    let logger: Logger

    func run() async throws {
        let (server, logger) = (server, logger)
        await cancelWhenGracefulShutdown {
            // Its own socket always; the well-known address when it can have it (the front door), tried every second.
            await withDiscardingTaskGroup { group in
                group.addTask { await server.serveFleetSocket(logger: logger) }
                group.addTask { await server.runKeepingTheRelayAlive(logger: logger) }
            }
        }
        await server.fleet?.forwarder.shutdown()
    }
}
