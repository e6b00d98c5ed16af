import ArgumentParser
import Foundation
import Logging
import MCPWatchCore
import MCPWatchServer
import MCPWatchSystem

/// What every proxy mode runs beside its relay: process and host sampling, the report file, the monitoring HTTP
/// server and the alert engine, all reading the one store.
struct MonitoringServices: Sendable {
    let store: MetricsStore
    let system: SystemMonitor
    let reports: ReportFileWriter?
    let monitoring: MonitoringServer?
    let alerts: AlertSetup?
    let configuration: WatchConfiguration
    /// The server is every process mcpwatch started (the bridge), not one process tree.
    let serverIsEveryChild: Bool

    /// Sets them up from the configuration.
    /// - Throws: ``WatchError`` (`invalidConfiguration`) for a public address without a key or an unreadable key file.
    /// - Parameters:
    ///   - transport: the `network_transport` label: `pipe` for stdio, `tcp` for HTTP.
    ///   - explorer: the dashboard's tool explorer, where mcpwatch can send its own requests.
    ///   - serverIsEveryChild: sample every process mcpwatch started as the server (the bridge's, one per session).
    init(_ configuration: WatchConfiguration, store: MetricsStore, transport: String, explorer: ToolExplorer? = nil,
         serverIsEveryChild: Bool = false, logger: Logger) throws {
        self.configuration = configuration
        self.serverIsEveryChild = serverIsEveryChild
        self.store = store
        reports = configuration.reportFile.map { ReportFileWriter(path: $0, store: store, serverName: configuration.serverName, logger: logger) }
        let system = SystemMonitor(interval: configuration.sampleInterval, window: configuration.sampleWindow, dataDirectory: configuration.dataDirectory)
        self.system = system
        let alerts = try AlertSetup.configured(configuration, store: store, system: system, logger: logger)
        self.alerts = alerts
        monitoring = try MonitoringServer.configured(
            configuration,
            sources: MonitoringSources(store: store, serverName: configuration.serverName, transport: transport,
                                       health: configuration.healthPolicy, alerts: alerts?.engine, explorer: explorer,
                                       system: { system.report(includeSeries: $0) }),
            logger: logger)
    }

    /// Runs them until cancelled.
    func run(logger: Logger) async {
        let (store, system, configuration, everyChild) = (store, system, configuration, serverIsEveryChild)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // Sample at once (so /api/system answers from the start), then every interval, and as soon as a
                // server process appears (stdio), so that its figures do not wait a whole interval.
                while !Task.isCancelled {
                    let pid = store.session.serverPid
                    system.monitorServer(pid: pid, everyChild: everyChild)
                    system.sample()
                    let deadline = ContinuousClock.now + configuration.sampleInterval
                    while ContinuousClock.now < deadline && !Task.isCancelled && store.session.serverPid == pid {
                        try? await Task.sleep(for: min(.milliseconds(50), configuration.sampleInterval))
                    }
                }
            }
            if let reports {
                group.addTask { await reports.runPeriodically(every: configuration.reportInterval) }
            }
            if let monitoring {
                group.addTask { await monitoring.runKeepingTheRelayAlive(logger: logger) }
            }
            if let alerts {
                group.addTask { await alerts.run() }
            }
        }
    }
}
