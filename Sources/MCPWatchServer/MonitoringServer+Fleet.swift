import Foundation
import Hummingbird
import Logging
import MCPWatchCore
import NIOCore

extension MonitoringServer {
    /// The fleet's routes: `GET /api/servers` (the front door's list of every server) and `GET /api/fleet/instance`
    /// (this process's own line of it, which the front door asks each socket for).
    ///
    /// Without a fleet (a server built by a test, or one whose registry could not be made) the list is this process alone.
    func addFleetRoutes(to router: Router<BasicRequestContext>) {
        let sources = sources
        let fleet = fleet
        let member: FleetFrontDoor.Member?
        if let fleet { member = fleet.member } else { member = Self.unregisteredMember(sources) }
        router.get("/api/fleet/instance") { request, _ in
            guard let member else { throw APIError.notFound("this mcpwatch relays no server") }
            return try Self.json(Self.ownSummary(sources, member: member, seconds: try Self.seconds(request)), request: request)
        }
        router.get("/api/servers") { request, _ in
            let seconds = try Self.seconds(request)
            guard let fleet else {
                let own = member.map { [Self.ownSummary(sources, member: $0, seconds: seconds)] } ?? []
                return try Self.json(FleetList(generatedAt: Date(), windowSeconds: seconds, frontDoor: getpid(),
                                               servers: FleetServerSummary.grouped(live: own)), request: request)
            }
            let list = await Self.fleetList(fleet, sources: sources, seconds: seconds)
            return try Self.json(list, request: request)
        }
    }

    /// This process, described from its sources alone.
    static func unregisteredMember(_ sources: MonitoringSources) -> FleetFrontDoor.Member {
        let store = sources.store
        let serverName = sources.serverName
        let started = store.report().overview.startTime
        return FleetFrontDoor.Member(
            instance: FleetInstance(pid: getpid(), startedAt: started, name: serverName ?? "mcpwatch", command: [],
                                    mode: sources.transport == "pipe" ? "stdio" : "http", socket: ""),
            name: { serverName ?? store.session.server?.name ?? "mcpwatch" })
    }

    /// This process's figures over the last `seconds`.
    static func ownSummary(_ sources: MonitoringSources, member: FleetFrontDoor.Member, seconds: Int) -> FleetInstanceSummary {
        let window = sources.store.windowStatistics(.seconds(seconds), targets: false).all
        let overview = sources.store.report(serverName: sources.serverName).overview
        let instance = member.instance
        return FleetInstanceSummary(
            pid: instance.pid, name: member.name(), command: instance.command, mode: instance.mode, startedAt: instance.startedAt,
            running: true, lastSeen: Date(), calls: window.calls, errors: window.errors, p95Ms: window.p95Ms,
            callsTotal: overview.totalCalls, errorsTotal: overview.totalErrors)
    }

    /// Every server: the running ones asked through their sockets (at once, each within the fleet's timeout), this
    /// one answered here, and the rest from the history.
    static func fleetList(_ fleet: FleetFrontDoor, sources: MonitoringSources, seconds: Int) async -> FleetList {
        let running = fleet.registry.scan()
        let now = Date()
        var live = await withTaskGroup(of: FleetInstanceSummary.self) { group in
            for instance in running {
                if let member = fleet.member, instance.pid == member.instance.pid {
                    group.addTask { Self.ownSummary(sources, member: member, seconds: seconds) }
                    continue
                }
                group.addTask {
                    guard let data = try? await fleet.forwarder.get(socket: instance.socket, uri: "/api/fleet/instance?seconds=\(seconds)",
                                                                      timeout: fleet.summaryTimeout),
                          let summary = try? Report.decoder().decode(FleetInstanceSummary.self, from: data), summary.pid == instance.pid
                    else { return .unanswered(instance, now: now) }
                    return summary
                }
            }
            var all: [FleetInstanceSummary] = []
            for await summary in group { all.append(summary) }
            return all
        }
        // This process, even when its socket could not be registered.
        if let member = fleet.member, !live.contains(where: { $0.pid == member.instance.pid }) {
            live.append(Self.ownSummary(sources, member: member, seconds: seconds))
        }
        let history = await fleet.history.instances(window: .seconds(seconds), running: running)
        var servers = FleetServerSummary.grouped(live: live, history: history)
        // A running server's p95 from every instance's histogram summed over the window (the store holds each one's
        // up to its last flush, a second ago at most); without a store, the highest of its instances' p95.
        let summed = await fleet.history.p95(servers: servers.filter(\.running).map(\.name), window: .seconds(seconds))
        for index in servers.indices where servers[index].running {
            if let p95 = summed[servers[index].name] { servers[index].p95Ms = p95 }
        }
        return FleetList(generatedAt: now, windowSeconds: seconds, frontDoor: getpid(), servers: servers)
    }

    /// Serves this process's API on its own Unix socket in the fleet's registry until cancelled, with its
    /// description beside it (kept up to date with the server's name), and removes both when it ends.
    ///
    /// Whatever goes wrong here (no state folder, a read-only disk) is logged once; the relay goes on.
    public func serveFleetSocket(logger: Logger) async {
        guard let fleet, let member = fleet.member else { return }
        let registry = fleet.registry
        let pid = member.instance.pid
        do {
            try registry.prepare()
        } catch {
            logger.warning("cannot join the fleet: \(error)", metadata: ["folder": "\(registry.directory)"])
            return
        }
        _ = registry.scan()  // removes the entries of processes that are gone
        let path = registry.socketPath(pid: pid)
        unlink(path)
        defer { registry.unregister(pid: pid) }
        var quiet = logger
        quiet.logLevel = .critical
        let app = Application(
            router: buildRouter(socket: true),
            configuration: .init(address: .unixDomainSocket(path: path), serverName: "mcpwatch"),
            onServerRunning: { _ in
                chmod(path, 0o600)
                var instance = member.instance
                instance.socket = path
                instance.name = member.name()
                do { try registry.register(instance) } catch {
                    logger.warning("cannot register in the fleet: \(error)", metadata: ["folder": "\(registry.directory)"])
                }
            },
            eventLoopGroupProvider: .shared(eventLoopGroup),
            logger: quiet)
        await withDiscardingTaskGroup { group in
            group.addTask {
                do { try await app.run() } catch is CancellationError {} catch {
                    logger.warning("cannot serve the fleet socket: \(error)", metadata: ["path": "\(path)"])
                }
            }
            group.addTask {
                // The server's name arrives with its first answer (serverInfo): the description follows it.
                var written = member.name()
                while (try? await Task.sleep(for: .seconds(1))) != nil {
                    let name = member.name()
                    guard name != written, FileManager.default.fileExists(atPath: path) else { continue }
                    var instance = member.instance
                    instance.socket = path
                    instance.name = name
                    if (try? registry.register(instance)) != nil { written = name }
                }
            }
        }
    }
}
