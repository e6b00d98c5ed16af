import ArgumentParser
import MCPWatchCore

// The sections of `mcpwatch proxy --help`, one group per concern: what every mode measures and reports, the stdio
// server mcpwatch starts, the HTTP upstream it relays, and the HTTP endpoint it serves. Small groups of one command,
// kept in one file so that the help's order can be read in one place.

/// Every mode: what is measured and where the report goes.
struct ProxyReportOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Name of the monitored server in reports (default: its serverInfo.name).", valueName: "name"))
    var name: String?

    @Option(name: .long, help: ArgumentHelp("Largest message relayed (default 64MiB); longer lines are dropped and answered with an error.", valueName: "size"))
    var maxMessageBytes: ByteSize?

    @Option(name: .long, help: ArgumentHelp("Distinct (method, target) pairs kept (default 1000); more fold into __other__.", valueName: "n"))
    var maxTargets: Int?

    @Option(name: .long, help: ArgumentHelp("Write the JSON report to this file, atomically, every --report-interval and on exit.", valueName: "path"))
    var reportFile: String?

    @Option(name: .long, help: ArgumentHelp("Time between report-file writes (default 10s).", valueName: "duration"))
    var reportInterval: Duration?

    func validate() throws {
        if let maxTargets, maxTargets < 2 { throw ValidationError("--max-targets must be at least 2") }
        if let reportInterval, !(reportInterval > .zero) { throw ValidationError("--report-interval must be above zero") }
    }

    func apply(to configuration: inout WatchConfiguration) {
        if let name { configuration.serverName = name }
        if let maxMessageBytes { configuration.maxMessageBytes = maxMessageBytes.bytes }
        if let maxTargets { configuration.maxTargets = maxTargets }
        if let reportFile { configuration.reportFile = reportFile }
        if let reportInterval { configuration.reportInterval = reportInterval }
    }
}

/// The stdio server processes mcpwatch starts (`-- COMMAND`).
struct ProxyServerProcessOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Time the server has to exit after its input closes, before SIGTERM and again before SIGKILL (default 5s).", valueName: "duration"))
    var shutdownGrace: Duration?

    var given: [ProxyMode.Option] { shutdownGrace == nil ? [] : [.shutdownGrace] }

    func apply(to configuration: inout WatchConfiguration) {
        if let shutdownGrace { configuration.shutdownGrace = shutdownGrace }
    }
}

/// An HTTP MCP server to relay instead of a command (`--upstream URL`).
struct ProxyUpstreamOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Relay this Streamable HTTP MCP server instead of launching a command.", valueName: "url"))
    var upstream: String?

    @Option(name: .long, help: ArgumentHelp("The transport of --upstream without --serve-http: auto (default: Streamable HTTP, or the older HTTP+SSE when initialize is refused with a 4xx), streamable-http or sse.", valueName: "transport"))
    var upstreamTransport: String?

    @Option(name: .long, help: ArgumentHelp("Time to connect to the upstream (default 5s).", valueName: "duration"))
    var upstreamConnectTimeout: Duration?

    @Option(name: .long, help: ArgumentHelp("Time from a request to the upstream's response head, or for a bridged server to start answering (default 60s).", valueName: "duration"))
    var upstreamTimeout: Duration?

    func validate() throws {
        if let upstreamTransport, UpstreamTransport(rawValue: upstreamTransport) == nil {
            throw ValidationError("--upstream-transport must be auto, streamable-http or sse (got '\(upstreamTransport)')")
        }
        if let upstreamConnectTimeout, !(upstreamConnectTimeout > .zero) { throw ValidationError("--upstream-connect-timeout must be above zero") }
        if let upstreamTimeout, !(upstreamTimeout > .zero) { throw ValidationError("--upstream-timeout must be above zero") }
    }

    var given: [ProxyMode.Option] {
        [(upstreamTransport != nil, ProxyMode.Option.upstreamTransport), (upstreamConnectTimeout != nil, .upstreamConnectTimeout),
         (upstreamTimeout != nil, .upstreamTimeout)].compactMap { given, option in given ? option : nil }
    }

    func apply(to configuration: inout WatchConfiguration) {
        if let upstream { configuration.upstreamURL = upstream }
        if let upstreamTransport, let transport = UpstreamTransport(rawValue: upstreamTransport) { configuration.upstreamTransport = transport }
        if let upstreamConnectTimeout { configuration.upstreamConnectTimeout = upstreamConnectTimeout }
        if let upstreamTimeout { configuration.upstreamTimeout = upstreamTimeout }
    }
}

/// The MCP endpoint mcpwatch serves over Streamable HTTP (`--serve-http HOST:PORT`): the reverse proxy and the bridge.
struct ProxyServeOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Serve the MCP endpoint over Streamable HTTP on HOST:PORT: with --upstream, the relayed server (same path as the upstream's); with a command, that stdio server at /mcp, for many clients at once.", valueName: "host:port"))
    var serveHttp: String?

    @Flag(name: .long, help: "With a command: one server process for all sessions (request ids rewritten) instead of one per session.")
    var sharedServer = false

    @Option(name: .long, help: ArgumentHelp("With a command: sessions at once (default 100); one more gets 503.", valueName: "n"))
    var maxSessions: Int?

    @Option(name: .long, help: ArgumentHelp("With a command: time without requests after which a session ends, with its server process (default 30m).", valueName: "duration"))
    var sessionIdleTimeout: Duration?

    func validate() throws {
        if let maxSessions, !(1...10_000).contains(maxSessions) { throw ValidationError("--max-sessions must be from 1 to 10000") }
        if let sessionIdleTimeout, !(sessionIdleTimeout > .zero) { throw ValidationError("--session-idle-timeout must be above zero") }
        if let serveHttp {
            do { _ = try ListenAddress(parsing: serveHttp) } catch let error as WatchError { throw ValidationError("--serve-http \(error.message)") }
        }
    }

    var given: [ProxyMode.Option] {
        [(sharedServer, ProxyMode.Option.sharedServer), (maxSessions != nil, .maxSessions),
         (sessionIdleTimeout != nil, .sessionIdleTimeout)].compactMap { given, option in given ? option : nil }
    }

    func apply(to configuration: inout WatchConfiguration) throws {
        if let serveHttp { configuration.serveHTTP = try ListenAddress(parsing: serveHttp) }
        if sharedServer { configuration.sharedServer = true }
        if let maxSessions { configuration.bridgeMaxSessions = maxSessions }
        if let sessionIdleTimeout { configuration.sessionIdleTimeout = sessionIdleTimeout }
    }
}
