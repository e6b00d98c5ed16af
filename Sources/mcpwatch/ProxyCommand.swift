import ArgumentParser
import Foundation
import Logging
import MCPWatchCore
import MCPWatchProxy
import MCPWatchServer
import MCPWatchSystem
import ServiceLifecycle

/// `mcpwatch proxy`: relay a stdio MCP server and measure every call.
struct ProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "Run an MCP server behind mcpwatch: relay every message unchanged and measure every call.",
        discussion: """
            With --serve-http HOST:PORT and a command it serves that stdio server to many Streamable HTTP clients
            at http://HOST:PORT/mcp: each session gets a server process of its own, or with --shared-server all
            share one.

            With --upstream URL --serve-http HOST:PORT it relays a Streamable HTTP MCP server instead: clients
            connect to http://HOST:PORT/PATH (PATH as in URL) and everything passes through, measured. With
            --upstream URL alone it speaks stdio to the client and Streamable HTTP to the server, for clients that
            only launch commands.

            mcpwatch launches COMMAND as a child and relays the MCP stdio transport (newline-delimited JSON-RPC)
            between its own stdin/stdout and the child's, byte for byte. It writes nothing else to stdout; its own
            log goes to stderr (or --log-file), and so does the server's stderr. When the server exits, mcpwatch
            answers any request still waiting with an error and exits with the server's status.

            Durations are written 250ms, 10s, 5m or 1h, or as a bare number of seconds; sizes 64KiB, 64MiB
            or 1GiB, or as a bare number of bytes. An option of another mode (--shared-server without
            --serve-http and a command, say) is a usage error.

            Examples:
              mcpwatch proxy -- uvx mcp-server-time
              mcpwatch proxy --name time --report-file /tmp/time.json -- uvx mcp-server-time
              mcpwatch proxy --log-file /tmp/mcpwatch.log -- npx -y @modelcontextprotocol/server-everything
              mcpwatch proxy --upstream http://127.0.0.1:8000/mcp --serve-http 127.0.0.1:8001
              mcpwatch proxy --upstream http://127.0.0.1:8000/mcp
              mcpwatch proxy --serve-http 127.0.0.1:8001 --shared-server -- uvx mcp-server-time

            In a client's configuration (Claude Desktop, an IDE):
              "command": "mcpwatch", "args": ["proxy", "--", "uvx", "mcp-server-time"]
            """
    )

    @OptionGroup(title: "Measuring and reports (every mode)") var report: ProxyReportOptions

    @OptionGroup(title: "Server processes (stdio relay, bridge, stdio front)") var serverProcess: ProxyServerProcessOptions

    @OptionGroup(title: "HTTP upstream (reverse proxy, stdio front)") var upstream: ProxyUpstreamOptions

    @OptionGroup(title: "Serving MCP over HTTP (reverse proxy, bridge)") var serving: ProxyServeOptions

    @OptionGroup(title: "Monitoring HTTP server") var http: HTTPOptions

    @OptionGroup(title: "Local store") var storeOptions: StoreOptions
    @OptionGroup(title: "OpenTelemetry") var telemetryOptions: TelemetryOptions

    @OptionGroup(title: "Logging") var logging: LoggingOptions

    @OptionGroup(title: "Configuration") var configFile: ConfigOptions

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The server command and its arguments, after `--`.", valueName: "command"))
    var command: [String] = []

    /// The mode-specific options given on the command line, checked against the mode by ``ProxyMode/decide``.
    var givenModeOptions: [ProxyMode.Option] { serverProcess.given + upstream.given + serving.given }

    /// Defaults, then the file, then the environment, then these flags.
    func resolvedConfiguration() throws -> WatchConfiguration {
        var configuration = try configFile.load()
        report.apply(to: &configuration)
        serverProcess.apply(to: &configuration)
        upstream.apply(to: &configuration)
        try serving.apply(to: &configuration)
        if !command.isEmpty { configuration.serverCommand = command }
        try http.apply(to: &configuration)
        storeOptions.apply(to: &configuration)
        telemetryOptions.apply(to: &configuration)
        logging.apply(to: &configuration)
        return configuration
    }

    /// The mode the effective configuration asks for.
    /// - Throws: ``WatchError`` (`invalidArgument`) for options that do not fit together.
    func mode(of configuration: WatchConfiguration) throws -> ProxyMode {
        try ProxyMode.decide(upstream: configuration.upstreamURL, serveHTTP: configuration.serveHTTP, command: configuration.serverCommand,
                             transport: configuration.upstreamTransport, given: givenModeOptions)
    }

    func run() async throws {
        let configuration = try resolvedConfiguration()
        switch try mode(of: configuration) {
        case .stdioRelay: try await runStdioRelay(configuration)
        case .reverseProxy(let url, let serve): try await runReverseProxy(configuration, upstream: url, serve: serve)
        case .stdioFront(let url): try await runStdioFront(configuration, upstream: url)
        case .bridge(_, let serve): try await runBridge(configuration, serve: serve)
        }
    }

    /// `-- COMMAND`: relay a stdio server. One `ServiceGroup` runs the relay, the signal forwarder and the monitoring
    /// services; the server's exit ends the run (signals are forwarded to it), then the last report is written and the
    /// HTTP side stops. Exits with the server's status, 127 when it cannot be started.
    func runStdioRelay(_ configuration: WatchConfiguration) async throws {
        let logger = try LogSetup.bootstrap(configuration)
        signal(SIGPIPE, SIG_IGN)
        let store = MetricsStore(configuration: .init(maxTargets: configuration.maxTargets))
        let recorder = TrafficRecorder(store: store)
        let trafficStats = TrafficStats(policy: configuration.traffic)
        let relay = StdioRelay(
            configuration: .init(command: configuration.serverCommand, maxMessageBytes: configuration.maxMessageBytes,
                                 shutdownGrace: configuration.shutdownGrace, readSpin: configuration.readSpin),
            recorder: recorder, logger: logger,
            gate: configuration.traffic.map { TrafficGate(policy: $0, stats: trafficStats, clock: store.clock) })
        // Trapped before the server starts, so that no signal can end mcpwatch without reaching the server.
        let signals = await ServerSignalForwarder(relay: relay)
        do {
            try await MonitoringServices.withEventLoops { eventLoops in
                let services = try MonitoringServices(
                    configuration, store: store, transport: "pipe", explorer: ToolExplorer(requests: relay.injected, store: store),
                    eventLoops: eventLoops, trafficStats: trafficStats, logger: logger)
                try await services.run(relay: relay, signals: signals)
            }
        } catch let error as WatchError {
            logger.error("\(error.message)")
            throw error
        }
        throw ExitCode((relay.serverExit ?? .exited(0)).shellStatus)
    }
}
