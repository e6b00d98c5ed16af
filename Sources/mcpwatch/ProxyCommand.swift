import ArgumentParser
import Dispatch
import Foundation
import Logging
import MCPWatchCore
import MCPWatchProxy
import MCPWatchServer
import MCPWatchSystem

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

    @Option(name: .long, help: ArgumentHelp("Name of the monitored server in reports (default: its serverInfo.name).", valueName: "name"))
    var name: String?

    @Option(name: .long, help: ArgumentHelp("Largest message relayed (default 64MiB); longer lines are dropped and answered with an error.", valueName: "size"))
    var maxMessageBytes: ByteSize?

    @Option(name: .long, help: ArgumentHelp("Distinct (method, target) pairs kept (default 1000); more fold into __other__.", valueName: "n"))
    var maxTargets: Int?

    @Option(name: .long, help: ArgumentHelp("Write the JSON report to this file, atomically, every --report-interval and on exit.", valueName: "path"))
    var reportFile: String?

    @Option(name: .long, help: ArgumentHelp("Seconds between report-file writes (default 10).", valueName: "seconds"))
    var reportInterval: Double?

    @Option(name: .long, help: ArgumentHelp("Seconds the server has to exit after its input closes, before SIGTERM and again before SIGKILL (default 5).", valueName: "seconds"))
    var shutdownGrace: Double?

    @Option(name: .long, help: ArgumentHelp("Relay this Streamable HTTP MCP server instead of launching a command.", valueName: "url"))
    var upstream: String?

    @Option(name: .long, help: ArgumentHelp("Serve the MCP endpoint over Streamable HTTP on HOST:PORT: with --upstream, the relayed server (same path as the upstream's); with a command, that stdio server at /mcp, for many clients at once.", valueName: "host:port"))
    var serveHttp: String?

    @Flag(name: .long, help: "With --serve-http and a command: one server process for all sessions (request ids rewritten) instead of one per session.")
    var sharedServer = false

    @Option(name: .long, help: ArgumentHelp("With --serve-http and a command: sessions at once (default 100); one more gets 503.", valueName: "n"))
    var maxSessions: Int?

    @Option(name: .long, help: ArgumentHelp("With --serve-http and a command: seconds without requests after which a session ends, with its server process (default 1800).", valueName: "seconds"))
    var sessionIdleTimeout: Double?


    @Option(name: .long, help: ArgumentHelp("The transport of --upstream without --serve-http: auto (default: Streamable HTTP, or the older HTTP+SSE when initialize is refused with a 4xx), streamable-http or sse.", valueName: "transport"))
    var upstreamTransport: String?

    @Option(name: .long, help: ArgumentHelp("Seconds to connect to the upstream (default 5).", valueName: "seconds"))
    var upstreamConnectTimeout: Double?

    @Option(name: .long, help: ArgumentHelp("Seconds from a request to the upstream's response head, or for a bridged server to start answering (default 60).", valueName: "seconds"))
    var upstreamTimeout: Double?

    @OptionGroup var http: HTTPOptions

    @OptionGroup var logging: LoggingOptions

    @OptionGroup var configFile: ConfigOptions

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The server command and its arguments, after `--`.", valueName: "command"))
    var command: [String] = []

    func validate() throws {
        if let maxTargets, maxTargets < 2 { throw ValidationError("--max-targets must be at least 2") }
        if let reportInterval, !(reportInterval > 0) { throw ValidationError("--report-interval must be a positive number of seconds") }
        if let shutdownGrace, !(shutdownGrace >= 0) { throw ValidationError("--shutdown-grace must be zero or more seconds") }
        if let upstreamTimeout, !(upstreamTimeout > 0) { throw ValidationError("--upstream-timeout must be a positive number of seconds") }
        if let maxSessions, !(1...10_000).contains(maxSessions) { throw ValidationError("--max-sessions must be from 1 to 10000") }
        if let sessionIdleTimeout, !(sessionIdleTimeout > 0) { throw ValidationError("--session-idle-timeout must be a positive number of seconds") }
        if let upstreamConnectTimeout, !(upstreamConnectTimeout > 0) { throw ValidationError("--upstream-connect-timeout must be a positive number of seconds") }
        if let serveHttp {
            do { _ = try ListenAddress(parsing: serveHttp) } catch let error as WatchError { throw ValidationError("--serve-http \(error.message)") }
        }
    }

    /// Defaults, then the file, then the environment, then these flags.
    func resolvedConfiguration() throws -> WatchConfiguration {
        var configuration = try configFile.load()
        if let name { configuration.serverName = name }
        if let maxMessageBytes { configuration.maxMessageBytes = maxMessageBytes.bytes }
        if let maxTargets { configuration.maxTargets = maxTargets }
        if let reportFile { configuration.reportFile = reportFile }
        if let reportInterval { configuration.reportInterval = .nanoseconds(Int64(reportInterval * 1e9)) }
        if let shutdownGrace { configuration.shutdownGrace = .nanoseconds(Int64(shutdownGrace * 1e9)) }
        if !command.isEmpty { configuration.serverCommand = command }
        if let upstream { configuration.upstreamURL = upstream }
        if let serveHttp { configuration.serveHTTP = try ListenAddress(parsing: serveHttp) }
        if let upstreamTransport {
            guard let transport = UpstreamTransport(rawValue: upstreamTransport) else {
                throw ValidationError("--upstream-transport must be auto, streamable-http or sse (got '\(upstreamTransport)')")
            }
            configuration.upstreamTransport = transport
        }
        if let upstreamConnectTimeout { configuration.upstreamConnectTimeout = .nanoseconds(Int64(upstreamConnectTimeout * 1e9)) }
        if let upstreamTimeout { configuration.upstreamTimeout = .nanoseconds(Int64(upstreamTimeout * 1e9)) }
        if sharedServer { configuration.sharedServer = true }
        if let maxSessions { configuration.bridgeMaxSessions = maxSessions }
        if let sessionIdleTimeout { configuration.sessionIdleTimeout = .nanoseconds(Int64(sessionIdleTimeout * 1e9)) }
        try http.apply(to: &configuration)
        logging.apply(to: &configuration)
        return configuration
    }

    func run() async throws {
        let configuration: WatchConfiguration
        do {
            configuration = try resolvedConfiguration()
        } catch let error as WatchError {
            FileHandle.standardError.write(Data("mcpwatch: error: \(error.message)\n".utf8))
            throw ExitCode(2)
        }
        if configuration.upstreamURL != nil {
            try await runHTTP(configuration)
            return
        }
        guard !configuration.serverCommand.isEmpty else {
            throw ValidationError("give the server command after `--`, e.g. `mcpwatch proxy -- uvx mcp-server-time` (or server.command in the configuration file)")
        }
        if let serve = configuration.serveHTTP {
            try await runBridge(configuration, serve: serve)
            return
        }
        let logger = try LogSetup.bootstrap(configuration)
        signal(SIGPIPE, SIG_IGN)
        let store = MetricsStore(configuration: .init(maxTargets: configuration.maxTargets))
        let recorder = TrafficRecorder(store: store)
        let relay = StdioRelay(
            configuration: .init(command: configuration.serverCommand, maxMessageBytes: configuration.maxMessageBytes,
                                 shutdownGrace: configuration.shutdownGrace, readSpin: configuration.readSpin),
            recorder: recorder, logger: logger)
        let signals = SignalForwarder(signals: [SIGINT, SIGTERM, SIGHUP]) { relay.forward(signal: $0) }
        defer { signals.cancel() }
        let services = try MonitoringServices(
            configuration, store: store, transport: "pipe", explorer: ToolExplorer(requests: relay.injected, store: store), logger: logger)

        let exit: ChildExit
        do {
            exit = try await withThrowingTaskGroup(of: ChildExit?.self) { group in
                group.addTask { try await relay.run() }
                group.addTask {
                    await services.run(logger: logger)
                    return nil
                }
                var result: ChildExit?
                while let next = try await group.next() {
                    if let next {
                        result = next
                        group.cancelAll()
                    }
                }
                return result ?? .exited(0)
            }
        } catch let error as WatchError {
            logger.error("\(error.message)")
            FileHandle.standardError.write(Data("mcpwatch: error: \(error.message)\n".utf8))
            throw ExitCode(error.code == .commandNotStarted ? 127 : 1)
        }
        services.reports?.writeNow()
        throw ExitCode(exit.shellStatus)
    }
}

/// Writes the report file every interval, and once more on demand.
struct ReportFileWriter: Sendable {
    let path: String
    let store: MetricsStore
    let serverName: String?
    let logger: Logger

    func writeNow() {
        do {
            let report = store.report(serverName: serverName)
            let data = try Report.encoder(pretty: true).encode(report)
            try AtomicFile.write(data, to: path)
        } catch {
            // A full disk or a vanished folder must not stop the relay: say so and try again next time.
            logger.warning("cannot write the report file: \(error)", metadata: ["path": "\(path)"])
        }
    }

    func runPeriodically(every interval: Duration) async {
        while !Task.isCancelled {
            writeNow()
            try? await Task.sleep(for: interval)
        }
    }
}

/// Turns SIGINT/SIGTERM/SIGHUP into calls, instead of letting them kill mcpwatch before the server is stopped.
final class SignalForwarder {
    private let sources: [any DispatchSourceSignal]

    init(signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) {
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { handler(number) }
            source.resume()
            return source
        }
    }

    func cancel() { sources.forEach { $0.cancel() } }
}
