import ArgumentParser
import Dispatch
import Foundation
import Logging
import MCPWatchCore
import MCPWatchProxy
import MCPWatchServer

/// `mcpwatch proxy`: relay a stdio MCP server and measure every call.
struct ProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "Run an MCP server behind mcpwatch: relay every message unchanged and measure every call.",
        discussion: """
            mcpwatch launches COMMAND as a child and relays the MCP stdio transport (newline-delimited JSON-RPC)
            between its own stdin/stdout and the child's, byte for byte. It writes nothing else to stdout; its own
            log goes to stderr (or --log-file), and so does the server's stderr. When the server exits, mcpwatch
            answers any request still waiting with an error and exits with the server's status.

            Examples:
              mcpwatch proxy -- uvx mcp-server-time
              mcpwatch proxy --name time --report-file /tmp/time.json -- uvx mcp-server-time
              mcpwatch proxy --log-file /tmp/mcpwatch.log -- npx -y @modelcontextprotocol/server-everything

            In a client's configuration (Claude Desktop, an IDE):
              "command": "mcpwatch", "args": ["proxy", "--", "uvx", "mcp-server-time"]
            """
    )

    @Option(name: .long, help: ArgumentHelp("Name of the monitored server in reports (default: its serverInfo.name).", valueName: "name"))
    var name: String?

    @Option(name: .long, help: ArgumentHelp("Largest message relayed; longer lines are dropped and answered with an error.", valueName: "size"))
    var maxMessageBytes = ByteSize(bytes: 64 << 20)

    @Option(name: .long, help: ArgumentHelp("Distinct (method, target) pairs kept; more fold into __other__.", valueName: "n"))
    var maxTargets = 1_000

    @Option(name: .long, help: ArgumentHelp("Write the JSON report to this file, atomically, every --report-interval and on exit.", valueName: "path"))
    var reportFile: String?

    @Option(name: .long, help: ArgumentHelp("Seconds between report-file writes.", valueName: "seconds"))
    var reportInterval: Double = 10

    @Option(name: .long, help: ArgumentHelp("Seconds the server has to exit after its input closes, before SIGTERM and again before SIGKILL.", valueName: "seconds"))
    var shutdownGrace: Double = 5

    @OptionGroup var http: HTTPOptions

    @OptionGroup var logging: LoggingOptions

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The server command and its arguments, after `--`.", valueName: "command"))
    var command: [String] = []

    func validate() throws {
        if command.isEmpty { throw ValidationError("give the server command after `--`, e.g. `mcpwatch proxy -- uvx mcp-server-time`") }
        if maxTargets < 2 { throw ValidationError("--max-targets must be at least 2") }
        if !(reportInterval > 0) { throw ValidationError("--report-interval must be a positive number of seconds") }
        if !(shutdownGrace >= 0) { throw ValidationError("--shutdown-grace must be zero or more seconds") }
    }

    func run() async throws {
        let logger = try logging.bootstrap()
        signal(SIGPIPE, SIG_IGN)
        let store = MetricsStore(configuration: .init(maxTargets: maxTargets))
        let recorder = TrafficRecorder(store: store)
        let relay = StdioRelay(
            configuration: .init(command: command, maxMessageBytes: maxMessageBytes.bytes, shutdownGrace: .seconds(shutdownGrace)),
            recorder: recorder, logger: logger)
        let signals = SignalForwarder(signals: [SIGINT, SIGTERM, SIGHUP]) { relay.forward(signal: $0) }
        defer { signals.cancel() }
        let reports = reportFile.map { ReportFileWriter(path: $0, store: store, serverName: name, logger: logger) }
        let monitoring = try http.server(sources: MonitoringSources(store: store, serverName: name), logger: logger)

        let exit: ChildExit
        do {
            exit = try await withThrowingTaskGroup(of: ChildExit?.self) { group in
                group.addTask { try await relay.run() }
                if let reports {
                    let interval = reportInterval
                    group.addTask {
                        await reports.runPeriodically(every: .seconds(interval))
                        return nil
                    }
                }
                if let monitoring {
                    group.addTask {
                        await monitoring.runKeepingTheRelayAlive(logger: logger)
                        return nil
                    }
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
        reports?.writeNow()
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
