import ArgumentParser
import Foundation
import Logging
import MCPWatchCore
import MCPWatchServer
import MCPWatchSystem
import NIOCore

/// Options of the monitoring HTTP server.
struct HTTPOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Serve metrics and the API on HOST:PORT (default 127.0.0.1:9470).", valueName: "host:port"))
    var listen: String?

    @Flag(name: .customLong("no-http"), help: "Do not serve HTTP at all.")
    var noHTTP = false

    @Option(name: .long, help: ArgumentHelp("File with API keys, one per line; every endpoint then requires one (also MCPWATCH_API_KEY).", valueName: "path"))
    var apiKeyFile: String?

    @Flag(name: .long, help: "Let /api/health answer without an API key.")
    var healthWithoutKey = false

    @Flag(name: .long, help: "Allow listening on a non-loopback address without an API key.")
    var insecurePublic = false

    @Option(name: .customLong("allow-host"), help: ArgumentHelp("A host name (name or name:port) every port mcpwatch serves answers besides loopback names and its own address, e.g. to serve the dashboard under another name; repeatable, * for any (http.allowed_hosts).", valueName: "name"))
    var allowHost: [String] = []

    @Option(name: .customLong("allow-origin"), help: ArgumentHelp("A browser origin (scheme://host[:port]) allowed besides the page's own, on the monitoring API (with CORS headers) and on the MCP endpoint; repeatable, * for any (http.allowed_origins).", valueName: "origin"))
    var allowOrigin: [String] = []

    func validate() throws {
        if let listen {
            do {
                _ = try ListenAddress(parsing: listen)
            } catch let error as WatchError {
                throw ValidationError("--listen \(error.message)")
            }
        }
    }

    /// Applies the flags over the configuration.
    func apply(to configuration: inout WatchConfiguration) throws {
        if let listen { configuration.listen = try ListenAddress(parsing: listen) }
        if noHTTP { configuration.httpEnabled = false }
        if let apiKeyFile { configuration.apiKeyFile = apiKeyFile }
        if healthWithoutKey { configuration.healthWithoutKey = true }
        if insecurePublic { configuration.insecurePublic = true }
        if !allowHost.isEmpty { configuration.allowedHosts = allowHost }
        if !allowOrigin.isEmpty { configuration.allowedOrigins = allowOrigin }
    }
}

extension MonitoringServer {
    /// The server a configuration describes, or nil when HTTP is off.
    /// - Throws: ``WatchError`` for a public address without a key, or an unreadable key file.
    static func configured(_ configuration: WatchConfiguration, sources: MonitoringSources, eventLoopGroup: any EventLoopGroup,
                           logger: Logger) throws -> MonitoringServer? {
        guard configuration.httpEnabled else { return nil }
        var keys = configuration.apiKeys
        if let file = configuration.apiKeyFile {
            keys += try KeyFile.keys(file)
        }
        let address = configuration.listen
        if !address.isLoopback && keys.isEmpty && !configuration.insecurePublic {
            throw WatchError(.invalidConfiguration,
                "refusing to serve metrics on \(address), which other machines can reach, without an API key: set --api-key-file or MCPWATCH_API_KEY, or pass --insecure-public")
        }
        return MonitoringServer(
            configuration: .init(host: address.host, port: address.port, slowRequestThreshold: configuration.slowRequestThreshold,
                                 apiKeys: keys, healthWithoutKey: configuration.healthWithoutKey,
                                 allowedHosts: configuration.allowedHosts, allowedOrigins: configuration.allowedOrigins,
                                 machineNames: MachineName.answered(whenBoundTo: address.host)),
            sources: sources, logger: logger, eventLoopGroup: eventLoopGroup)
    }

    /// Serves; if it cannot (the port is taken, by the fleet's front door most often), says so once and keeps
    /// trying every second, so that it takes the address over when its holder exits; the relay goes on regardless.
    func runKeepingTheRelayAlive(logger: Logger) async {
        let address = "\(configuration.host):\(configuration.port)"
        await FrontDoorRetry().run {
            try await run { port in
                logger.info("serving metrics and the API", metadata: ["url": "http://\(configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host):\(port)/"])
            }
        } failed: { attempt, error in
            guard attempt == 1 else { return }
            if fleet != nil && fleet?.member == nil {
                Diagnostics.warning("cannot serve HTTP on \(address): \(error); trying again every second, to take over the address when it comes free (the mcpwatch that holds it serves the fleet meanwhile)")
            } else {
                Diagnostics.warning("cannot serve HTTP on \(address): \(error); the proxy keeps running without it, on its fleet socket, and tries again every second to take over the address when it comes free (use --listen to pick another address, or --no-http)")
            }
            logger.error("cannot serve HTTP", metadata: ["address": "\(address)", "error": "\(error)"])
        }
    }
}
