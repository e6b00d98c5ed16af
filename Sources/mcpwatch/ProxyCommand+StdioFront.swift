import ArgumentParser
import Foundation
import Logging
import MCPWatchCore
import MCPWatchHTTPProxy
import MCPWatchServer
import NIOPosix
import MCPWatchSystem

extension ProxyCommand {
    /// `--upstream URL` without `--serve-http`: stdio to the client, Streamable HTTP to the server, measured; monitoring
    /// on --listen. Exits 0 once the client closed its input (or on SIGINT/SIGTERM/SIGHUP) and the session was ended.
    func runStdioFront(_ configuration: WatchConfiguration, upstream url: URL) async throws {
        let logger = try LogSetup.bootstrap(configuration)
        signal(SIGPIPE, SIG_IGN)
        let store = MetricsStore(configuration: .init(maxTargets: configuration.maxTargets, maxSessions: configuration.maxSessions))
        let trafficStats = TrafficStats(policy: configuration.traffic)
        let relay = StdioToHTTPRelay(
            configuration: .init(upstream: url, connectTimeout: configuration.upstreamConnectTimeout,
                                 responseTimeout: configuration.upstreamTimeout, maxMessageBytes: configuration.maxMessageBytes,
                                 shutdownGrace: configuration.shutdownGrace, transport: configuration.upstreamTransport),
            recorder: TrafficRecorder(store: store), eventLoopGroup: MultiThreadedEventLoopGroup(numberOfThreads: 2), logger: logger,
            traffic: configuration.traffic, trafficStats: trafficStats)
        // The relay bounds its own drain (--shutdown-grace for the calls in flight, then DELETE): the adapter's bound
        // is only a backstop behind it.
        let endpoint = EndpointService("stdio front", drainLimit: configuration.shutdownGrace * 2 + .seconds(5), logger: logger) {
            await relay.run()
        } stop: {
            // Ends the session as the client closing its input would: what is in flight is answered first.
            relay.stop()
        }
        logger.info("relaying stdio to Streamable HTTP", metadata: ["upstream": "\(url.absoluteString)"])
        try await MonitoringServices.withEventLoops { eventLoops in
            let services = try MonitoringServices(configuration, store: store, transport: "tcp",
                                                  explorer: ToolExplorer(requests: relay.injected, store: store),
                                                  eventLoops: eventLoops, trafficStats: trafficStats, logger: logger)
            try await services.run(relay: endpoint, gracefulShutdownSignals: Self.stopSignals)
        }
        if relay.upstreamEnded { throw ExitCode(ExitStatus.failure) }
    }
}
