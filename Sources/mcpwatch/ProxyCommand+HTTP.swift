import ArgumentParser
import Foundation
import Logging
import MCPWatchCore
import MCPWatchHTTPProxy
import MCPWatchServer
import NIOPosix
import MCPWatchSystem
import NIOCore
import UnixSignals

extension ProxyCommand {
    /// `--upstream URL --serve-http HOST:PORT`: relay a Streamable HTTP server, measure, serve monitoring on --listen.
    func runReverseProxy(_ configuration: WatchConfiguration, upstream url: URL, serve: ListenAddress) async throws {
        let logger = try LogSetup.bootstrap(configuration)
        signal(SIGPIPE, SIG_IGN)
        let store = MetricsStore(configuration: .init(maxTargets: configuration.maxTargets, maxSessions: configuration.maxSessions))
        var relayConfiguration = StreamableHTTPRelay.Configuration(upstream: url, host: serve.host, port: serve.port, allowedOrigins: configuration.allowedOrigins,
                                 connectTimeout: configuration.upstreamConnectTimeout, responseTimeout: configuration.upstreamTimeout,
                                 maxMessageBytes: configuration.maxMessageBytes, maxSessions: configuration.maxSessions)
        relayConfiguration.allowedHosts = configuration.allowedHosts
        relayConfiguration.shutdownGrace = configuration.shutdownGrace
        relayConfiguration.machineNames = MachineName.answered(whenBoundTo: serve.host)
        let trafficStats = TrafficStats(policy: configuration.traffic)
        let relay = StreamableHTTPRelay(configuration: relayConfiguration, store: store,
                                        eventLoopGroup: MultiThreadedEventLoopGroup(numberOfThreads: 2), logger: logger,
                                        traffic: configuration.traffic, trafficStats: trafficStats)
        let endpoint = EndpointService("reverse proxy", drainLimit: configuration.shutdownGrace, logger: logger) {
            try await relay.run { port in
                logger.info("relaying Streamable HTTP", metadata: [
                    "url": "\(serve.url(port: port))\(url.path.isEmpty ? "/" : url.path)",
                    "upstream": "\(url.absoluteString)"])
            }
        } close: {
            await relay.shutdown()
        }
        try await self.serve(on: serve, endpoint: endpoint, logger: logger) { eventLoops in
            try MonitoringServices(configuration, store: store, transport: "tcp",
                                   explorer: ToolExplorer(requests: relay.injected, store: store), eventLoops: eventLoops, trafficStats: trafficStats, logger: logger)
        }
    }

    /// Runs an MCP endpoint served on `serve` with the monitoring services beside it, in one `ServiceGroup`, until the
    /// endpoint fails or a signal (SIGINT, SIGTERM, SIGHUP) comes; then the endpoint drains, the last report is
    /// written and the HTTP side stops.
    /// - Throws: ``WatchError`` (`unavailable`) when the endpoint cannot be served (the port is taken).
    func serve(on serve: ListenAddress, endpoint: EndpointService, logger: Logger,
               services: (any EventLoopGroup) throws -> MonitoringServices) async throws {
        do {
            try await MonitoringServices.withEventLoops { eventLoops in
                try await services(eventLoops).run(relay: endpoint, gracefulShutdownSignals: Self.stopSignals)
            }
        } catch let error as ExitCode {
            throw error
        } catch let error as WatchError {
            throw error  // a configuration error, already in words
        } catch {
            let text = "cannot serve the MCP endpoint on \(serve): \(error)"
            logger.error("\(text)")
            throw WatchError(.unavailable, text)
        }
    }

    /// The signals that stop the HTTP modes (the stdio relay forwards them to its server instead).
    static let stopSignals: [UnixSignal] = [.sigint, .sigterm, .sighup]
}

extension ListenAddress {
    /// `http://HOST:PORT` for a bound port (IPv6 hosts in brackets).
    func url(port: Int) -> String {
        "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }
}
