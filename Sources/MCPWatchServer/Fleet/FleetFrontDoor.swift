import Foundation
import MCPWatchCore

/// The fleet side of one monitoring server: where the other mcpwatch processes are, who this one is, and how to
/// reach the others. Whichever process holds the well-known address answers `GET /api/servers` and `server=NAME`
/// through it.
public struct FleetFrontDoor: Sendable {
    /// This process as a member of the fleet; nil for `mcpwatch dashboard`, which relays no server.
    public struct Member: Sendable {
        /// How it describes itself in the registry (its name as at start).
        public var instance: FleetInstance
        /// Its name now: `--name`, else the `serverInfo.name` once the server has given one, else its command.
        public var name: @Sendable () -> String

        /// Creates a member.
        public init(instance: FleetInstance, name: @escaping @Sendable () -> String) {
            self.instance = instance
            self.name = name
        }
    }

    /// The registry folder.
    public var registry: FleetRegistry
    /// This process, when it monitors a server.
    public var member: Member?
    /// Servers beyond the running ones (the store, once it is plugged in).
    public var history: any FleetHistory
    /// Sends requests on to the others' sockets.
    public var forwarder: FleetForwarder
    /// How long `/api/servers` waits for each running instance's figures.
    public var summaryTimeout: Duration = .seconds(2)

    /// Creates it.
    public init(registry: FleetRegistry, member: Member?, history: any FleetHistory = LiveFleetHistory(), forwarder: FleetForwarder) {
        self.registry = registry
        self.member = member
        self.history = history
        self.forwarder = forwarder
    }

    /// Where a request for `server` (the `server` parameter, nil when absent) is answered.
    public enum Route: Equatable, Sendable {
        /// By this process.
        case here
        /// By the instance on this socket.
        case forward(FleetInstance)
        /// Nowhere: 404 (no such running server) or 503 (no server at all), with a message.
        case refuse(status: Int, message: String)
    }

    /// Decides where a request for `server` goes, among the `running` instances.
    ///
    /// Without `server`, a proxy answers for its own server (existing scripts do not change); `mcpwatch dashboard`
    /// answers for the server that started last.
    public static func route(server: String?, member: (pid: Int32, name: String)?, running: () -> [FleetInstance]) -> Route {
        if let member, server == nil || server == member.name { return .here }
        let instances = running()
        guard let server else {
            guard let newest = instances.last else {
                return .refuse(status: 503, message: "no server is running: start one behind `mcpwatch proxy`, or see GET /api/servers")
            }
            return .forward(newest)
        }
        guard let found = FleetInstance.answering(server, in: instances, own: member?.pid) else {
            return .refuse(status: 404, message: "no running server is named \(String(reflecting: server)) (GET /api/servers lists them)")
        }
        return found.pid == member?.pid ? .here : .forward(found)
    }

    /// `instances` with the names their processes give now: a description is rewritten within a second of the
    /// server's `serverInfo`, and a request can come before that.
    func withLiveNames(_ instances: [FleetInstance]) async -> [FleetInstance] {
        let own = member?.instance.pid
        return await withTaskGroup(of: FleetInstance.self) { group in
            for instance in instances {
                group.addTask {
                    guard instance.pid != own,
                          let data = try? await forwarder.get(socket: instance.socket, uri: "/api/fleet/instance?seconds=1", timeout: summaryTimeout),
                          let summary = try? Report.decoder().decode(FleetInstanceSummary.self, from: data), summary.pid == instance.pid
                    else { return instance }
                    var named = instance
                    named.name = summary.name
                    return named
                }
            }
            var all: [FleetInstance] = []
            for await instance in group { all.append(instance) }
            return all.sorted { ($0.startedAt, $0.pid) < ($1.startedAt, $1.pid) }
        }
    }
}
