import ArgumentParser
import Foundation
import Logging
import MCPWatchCore
import MCPWatchServer
import MCPWatchStore
import ServiceLifecycle
import UnixSignals

/// `mcpwatch dashboard`: the fleet's front door on its own, relaying nothing, for a dashboard that outlives every
/// client: every server's views, answered by each running proxy through its socket.
struct DashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Serve the dashboard and API of every mcpwatch on this machine, without relaying anything.",
        discussion: """
            Every mcpwatch proxy serves its monitoring API on a Unix socket of its own in
            $XDG_STATE_HOME/mcpwatch/run/ (~/.local/state/mcpwatch/run/ when unset), and whichever
            mcpwatch holds --listen (default 127.0.0.1:9470) is the front door for all of them:
            GET /api/servers lists them, and every endpoint takes server=NAME.

            Without server=NAME, this command answers for the server that started last.
            When the address is taken (a proxy is the front door now), it tries again every
            second and takes over when it comes free.

            Examples:
              mcpwatch dashboard
              mcpwatch dashboard --listen 127.0.0.1:9471
            """
    )

    @OptionGroup(title: "Monitoring HTTP server") var http: HTTPOptions
    @OptionGroup(title: "Logging") var logging: LoggingOptions
    @OptionGroup(title: "Configuration") var configFile: ConfigOptions

    func run() async throws {
        var configuration = try configFile.load()
        try http.apply(to: &configuration)
        logging.apply(to: &configuration)
        configuration.httpEnabled = true
        let logger = try LogSetup.bootstrap(configuration)
        guard let registry = FleetRegistry.standard() else {
            throw WatchError(.invalidConfiguration, "there is no state folder to find the fleet in: set HOME or XDG_STATE_HOME")
        }
        do {
            try await MonitoringServices.withEventLoops { eventLoops in
                // The store is read, never written: the history of servers that have stopped, and the call log.
                var sources = MonitoringSources(store: MetricsStore())
                let history = configuration.store.enabled ? StoreHistory(settings: configuration.store, status: nil) : nil
                sources.history = history
                guard var server = try MonitoringServer.configured(configuration, sources: sources,
                                                                   eventLoopGroup: eventLoops, logger: logger) else { return }
                server.fleet = FleetFrontDoor(registry: registry, member: nil,
                                              history: history.map { StoreFleetHistory($0) } ?? LiveFleetHistory(),
                                              forwarder: FleetForwarder(eventLoopGroup: eventLoops))
                var quiet = logger
                quiet.logLevel = .critical
                let group = ServiceGroup(configuration: .init(
                    services: [.init(service: MonitoringService(server: server, logger: logger))],
                    gracefulShutdownSignals: [.sigint, .sigterm, .sighup], logger: quiet))
                try await group.run()
            }
        } catch let error as WatchError {
            logger.error("\(error.message)")
            throw error
        }
    }
}
