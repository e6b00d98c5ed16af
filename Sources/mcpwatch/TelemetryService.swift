import Foundation
import Logging
import MCPWatchCore
import MCPWatchSystem
import MCPWatchTelemetry
import ServiceLifecycle

/// OTLP export beside the relay (`otel.*`, `OTEL_*`): a span per call and the figures, through swift-otel. Off
/// unless asked for; its parts run in the command's `ServiceGroup` like the other helpers, and the relay never waits
/// on them.
struct TelemetryService: Sendable {
    let exporter: TelemetryExporter

    /// The service, or nil when neither traces nor metrics are on.
    /// - Throws: swift-otel's configuration error, for settings it cannot use.
    static func configured(_ configuration: WatchConfiguration, store: MetricsStore, system: SystemMonitor, transport: String,
                           logger: Logger) throws -> TelemetryService? {
        let exporter = try TelemetryExporter.configured(
            configuration.telemetry, tap: store.traceTap, transport: transport, serverName: configuration.serverName,
            logger: logger, protocolVersion: { store.session.protocolVersion }, system: { system.report() },
            sessions: { store.sessions.summaries() },
            wholeSession: {
                // Over stdio the connection is the one session, from the start to now.
                guard transport == "pipe", let version = store.session.protocolVersion else { return nil }
                return (store.startDate, version)
            })
        return exporter.map(TelemetryService.init)
    }

    /// swift-otel's services, then the drain: the group stops them in reverse, so the drain's last round reaches
    /// swift-otel before its batch processor flushes and stops.
    var services: [any Service] { exporter.backends + [TelemetryDrain(exporter: exporter)] }
}

/// Moves finished calls from the relays' tap to swift-otel, on its own task.
struct TelemetryDrain: Service {
    let exporter: TelemetryExporter

    func run() async throws {
        await exporter.runDrain()
    }
}
