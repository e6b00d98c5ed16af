import ArgumentParser
import Foundation
import Logging
import MCPWatchCore
import MCPWatchHTTPProxy
import MCPWatchServer
import MCPWatchSystem
import NIOCore
import UnixSignals

extension ProxyCommand {
    /// `--upstream URL --serve-http HOST:PORT`: relay a Streamable HTTP server, measure, serve monitoring on --listen.
    /// Without --serve-http: the stdio front (``runStdioFront(_:upstream:)``).
    func runHTTP(_ configuration: WatchConfiguration) async throws {
        guard let text = configuration.upstreamURL, let url = URL(string: text), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", url.host != nil
        else {
            FileHandle.standardError.write(Data("mcpwatch: error: --upstream must be an http:// or https:// URL, e.g. http://127.0.0.1:8000/mcp (got '\(configuration.upstreamURL ?? "")')\n".utf8))
            throw ExitCode(2)
        }
        guard configuration.serverCommand.isEmpty else {
            FileHandle.standardError.write(Data("mcpwatch: error: give either --upstream URL or a server command after `--`, not both\n".utf8))
            throw ExitCode(2)
        }
        guard let serve = configuration.serveHTTP else {
            try await runStdioFront(configuration, upstream: url)
            return
        }
        guard configuration.upstreamTransport != .sse else {
            FileHandle.standardError.write(Data("mcpwatch: error: the reverse proxy (--serve-http with --upstream) relays Streamable HTTP only; the older HTTP+SSE transport is supported by the stdio front (--upstream without --serve-http)\n".utf8))
            throw ExitCode(2)
        }
        let logger = try LogSetup.bootstrap(configuration)
        signal(SIGPIPE, SIG_IGN)
        let store = MetricsStore(configuration: .init(maxTargets: configuration.maxTargets, maxSessions: configuration.maxSessions))
        var relayConfiguration = StreamableHTTPRelay.Configuration(upstream: url, host: serve.host, port: serve.port, allowedOrigins: configuration.allowedOrigins,
                                 connectTimeout: configuration.upstreamConnectTimeout, responseTimeout: configuration.upstreamTimeout,
                                 maxMessageBytes: configuration.maxMessageBytes, maxSessions: configuration.maxSessions)
        relayConfiguration.allowedHosts = configuration.allowedHosts
        relayConfiguration.machineNames = HostPolicy.isLoopback(serve.host) ? [] : MachineName.current()
        let relay = StreamableHTTPRelay(configuration: relayConfiguration, store: store, logger: logger)
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
                                   explorer: ToolExplorer(requests: relay.injected, store: store), eventLoops: eventLoops, logger: logger)
        }
    }

    /// Runs an MCP endpoint served on `serve` with the monitoring services beside it, in one `ServiceGroup`, until the
    /// endpoint fails or a signal (SIGINT, SIGTERM, SIGHUP) comes; then the endpoint drains, the last report is
    /// written and the HTTP side stops.
    /// - Throws: `ExitCode(1)` when the endpoint cannot be served (the port is taken).
    func serve(on serve: ListenAddress, endpoint: EndpointService, logger: Logger,
               services: (any EventLoopGroup) throws -> MonitoringServices) async throws {
        do {
            try await MonitoringServices.withEventLoops { eventLoops in
                try await services(eventLoops).run(relay: endpoint, gracefulShutdownSignals: Self.stopSignals)
            }
        } catch let error as ExitCode {
            throw error
        } catch {
            let text = "cannot serve the MCP endpoint on \(serve): \(error)"
            logger.error("\(text)")
            FileHandle.standardError.write(Data("mcpwatch: error: \(text)\n".utf8))
            throw ExitCode(1)
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
