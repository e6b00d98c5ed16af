import ArgumentParser
import Foundation
import Logging
import MCPWatchCore
import MCPWatchHTTPProxy
import MCPWatchServer
import MCPWatchSystem

extension ProxyCommand {
    /// `--upstream URL` without `--serve-http`: stdio to the client, Streamable HTTP to the server, measured; monitoring
    /// on --listen. Exits 0 once the client closed its input (or on SIGINT/SIGTERM/SIGHUP) and the session was ended.
    func runStdioFront(_ configuration: WatchConfiguration, upstream url: URL) async throws {
        let logger = try LogSetup.bootstrap(configuration)
        signal(SIGPIPE, SIG_IGN)
        let store = MetricsStore(configuration: .init(maxTargets: configuration.maxTargets, maxSessions: configuration.maxSessions))
        let relay = StdioToHTTPRelay(
            configuration: .init(upstream: url, connectTimeout: configuration.upstreamConnectTimeout,
                                 responseTimeout: configuration.upstreamTimeout, maxMessageBytes: configuration.maxMessageBytes,
                                 shutdownGrace: configuration.shutdownGrace),
            recorder: TrafficRecorder(store: store), logger: logger)
        let reports = configuration.reportFile.map { ReportFileWriter(path: $0, store: store, serverName: configuration.serverName, logger: logger) }
        let system = SystemMonitor(interval: configuration.sampleInterval, window: configuration.sampleWindow, dataDirectory: configuration.dataDirectory)
        let monitoring: MonitoringServer?
        let alerts: AlertSetup?
        do {
            alerts = try AlertSetup.configured(configuration, store: store, system: system, logger: logger)
            monitoring = try MonitoringServer.configured(
                configuration,
                sources: MonitoringSources(store: store, serverName: configuration.serverName, transport: "tcp",
                                           health: configuration.healthPolicy, alerts: alerts?.engine,
                                           system: { system.report(includeSeries: $0) }),
                logger: logger)
        } catch let error as WatchError {
            FileHandle.standardError.write(Data("mcpwatch: error: \(error.message)\n".utf8))
            throw ExitCode(2)
        }
        let signals = SignalForwarder(signals: [SIGINT, SIGTERM, SIGHUP]) { number in
            logger.info("received signal \(number); ending the session")
            relay.stop()
        }
        defer { signals.cancel() }
        logger.info("relaying stdio to Streamable HTTP", metadata: ["upstream": "\(url.absoluteString)"])

        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await relay.run()
                return true
            }
            group.addTask {
                while !Task.isCancelled {
                    system.sample()
                    try? await Task.sleep(for: configuration.sampleInterval)
                }
                return false
            }
            if let reports {
                let interval = configuration.reportInterval
                group.addTask {
                    await reports.runPeriodically(every: interval)
                    return false
                }
            }
            if let monitoring {
                group.addTask {
                    await monitoring.runKeepingTheRelayAlive(logger: logger)
                    return false
                }
            }
            if let alerts {
                group.addTask {
                    await alerts.run()
                    return false
                }
            }
            // The relay ends the run; the helpers run until then.
            while let relayEnded = await group.next() {
                if relayEnded { break }
            }
            group.cancelAll()
        }
        reports?.writeNow()
    }
}
