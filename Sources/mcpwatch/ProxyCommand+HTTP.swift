import ArgumentParser
import Foundation
import Logging
import MCPWatchCore
import MCPWatchHTTPProxy
import MCPWatchServer
import MCPWatchSystem

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
        let services = try MonitoringServices(configuration, store: store, transport: "tcp",
                                              explorer: ToolExplorer(requests: relay.injected, store: store), logger: logger)
        try await self.serve(on: serve, services: services, logger: logger) {
            try await relay.run { port in
                logger.info("relaying Streamable HTTP", metadata: [
                    "url": "\(serve.url(port: port))\(url.path.isEmpty ? "/" : url.path)",
                    "upstream": "\(url.absoluteString)"])
            }
        } shutdown: {
            await relay.shutdown()
        }
    }

    /// Runs an MCP endpoint served on `serve` with the monitoring services beside it, until the endpoint fails or a
    /// signal (SIGINT, SIGTERM, SIGHUP) comes; then `shutdown`, and the report file written once more.
    /// - Throws: `ExitCode(1)` when the endpoint cannot be served (the port is taken).
    func serve(on serve: ListenAddress, services: MonitoringServices, logger: Logger,
               run: @escaping @Sendable () async throws -> Void, shutdown: () async -> Void) async throws {
        let (stops, stop) = AsyncStream.makeStream(of: Int32.self, bufferingPolicy: .bufferingNewest(1))
        let signals = SignalForwarder(signals: [SIGINT, SIGTERM, SIGHUP]) { stop.yield($0) }
        defer { signals.cancel() }

        var failure: (any Error)?
        await withTaskGroup(of: RunEnd.self) { group in
            group.addTask {
                do {
                    try await run()
                    return .relay(nil)
                } catch {
                    return .relay(error)
                }
            }
            group.addTask {
                for await number in stops {
                    logger.info("received signal \(number); stopping")
                    break
                }
                return .signal
            }
            group.addTask {
                await services.run(logger: logger)
                return .helper
            }
            // The endpoint (an error, or a signal) ends the run; the helpers run until then.
            while let next = await group.next() {
                if case .relay(let error) = next {
                    failure = error
                    break
                }
                if case .signal = next { break }
            }
            group.cancelAll()
        }
        await shutdown()
        services.reports?.writeNow()
        if let failure {
            let text = "cannot serve the MCP endpoint on \(serve): \(failure)"
            logger.error("\(text)")
            FileHandle.standardError.write(Data("mcpwatch: error: \(text)\n".utf8))
            throw ExitCode(1)
        }
    }
}

extension ListenAddress {
    /// `http://HOST:PORT` for a bound port (IPv6 hosts in brackets).
    func url(port: Int) -> String {
        "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }
}

/// How one task of the HTTP proxy's run ended: the relay and a signal end the run, a helper does not.
private enum RunEnd: Sendable {
    case relay((any Error)?)
    case signal
    case helper
}
