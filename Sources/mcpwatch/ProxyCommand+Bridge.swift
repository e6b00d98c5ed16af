import ArgumentParser
import Foundation
import Logging
import MCPWatchCore
import MCPWatchHTTPProxy
import MCPWatchServer
import MCPWatchSystem
import NIOPosix

extension ProxyCommand {
    /// `--serve-http HOST:PORT -- COMMAND`: serve a stdio server to many Streamable HTTP clients, measured; monitoring
    /// on --listen. Runs until SIGINT/SIGTERM/SIGHUP, then ends every session and stops the servers.
    func runBridge(_ configuration: WatchConfiguration, serve: ListenAddress) async throws {
        let logger = try LogSetup.bootstrap(configuration)
        signal(SIGPIPE, SIG_IGN)
        let store = MetricsStore(configuration: .init(
            maxTargets: configuration.maxTargets, maxSessions: max(configuration.maxSessions, configuration.bridgeMaxSessions)))
        var bridgeConfiguration = StdioBridge.Configuration(command: configuration.serverCommand, host: serve.host, port: serve.port,
                                 sharedServer: configuration.sharedServer, maxSessions: configuration.bridgeMaxSessions,
                                 idleTimeout: configuration.sessionIdleTimeout, responseTimeout: configuration.upstreamTimeout,
                                 maxMessageBytes: configuration.maxMessageBytes, shutdownGrace: configuration.shutdownGrace,
                                 allowedOrigins: configuration.allowedOrigins)
        bridgeConfiguration.allowedHosts = configuration.allowedHosts
        bridgeConfiguration.machineNames = MachineName.answered(whenBoundTo: serve.host)
        let trafficStats = TrafficStats(policy: configuration.traffic)
        let bridge = StdioBridge(configuration: bridgeConfiguration, store: store,
                                 eventLoopGroup: MultiThreadedEventLoopGroup(numberOfThreads: 2), logger: logger,
                                 traffic: configuration.traffic, trafficStats: trafficStats)
        let endpoint = EndpointService("bridge", drainLimit: configuration.shutdownGrace, logger: logger) {
            try await bridge.run { port in
                logger.info("serving the stdio server over Streamable HTTP", metadata: [
                    "url": "\(serve.url(port: port))\(bridge.configuration.path)",
                    "mode": "\(configuration.sharedServer ? "one server shared by all sessions" : "one server per session")"])
            }
        } close: {
            await bridge.shutdown()
        }
        try await self.serve(on: serve, endpoint: endpoint, logger: logger) { eventLoops in
            try MonitoringServices(configuration, store: store, transport: "tcp",
                                   explorer: ToolExplorer(requests: bridge.injected, store: store),
                                   serverIsEveryChild: true, eventLoops: eventLoops, trafficStats: trafficStats, logger: logger)
        }
    }
}
