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
                                 shutdownGrace: configuration.shutdownGrace, transport: configuration.upstreamTransport),
            recorder: TrafficRecorder(store: store), logger: logger)
        let services = try MonitoringServices(configuration, store: store, transport: "tcp",
                                              explorer: ToolExplorer(requests: relay.injected, store: store), logger: logger)
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
                await services.run(logger: logger)
                return false
            }
            // The relay ends the run; the helpers run until then.
            while let relayEnded = await group.next() {
                if relayEnded { break }
            }
            group.cancelAll()
        }
        services.reports?.writeNow()
        if relay.upstreamEnded { throw ExitCode(ExitStatus.failure) }
    }
}
