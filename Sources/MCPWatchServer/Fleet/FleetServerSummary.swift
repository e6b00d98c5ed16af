import Foundation

/// One instance (one run of a proxy) as `GET /api/servers` lists it: who it is and its figures over the window.
public struct FleetInstanceSummary: Codable, Sendable, Equatable {
    /// The mcpwatch process.
    public var pid: Int32
    /// The server's name.
    public var name: String
    /// The server command (or upstream URL).
    public var command: [String]
    /// The proxy mode.
    public var mode: String
    /// When it started.
    public var startedAt: Date
    /// When it ended, for a stopped instance (from the store).
    public var endedAt: Date?
    /// Whether it runs now.
    public var running: Bool
    /// The last time it was seen: now for a running instance, its end (or last write) for a stopped one.
    public var lastSeen: Date
    /// Calls in the window.
    public var calls: Int
    /// Failed calls in the window.
    public var errors: Int
    /// The 95th percentile of call durations in the window, in milliseconds (nil without calls).
    public var p95Ms: Double?
    /// Calls since it started.
    public var callsTotal: UInt64
    /// Failed calls since it started.
    public var errorsTotal: UInt64

    /// Creates a summary.
    public init(pid: Int32, name: String, command: [String], mode: String, startedAt: Date, endedAt: Date? = nil, running: Bool,
                lastSeen: Date, calls: Int, errors: Int, p95Ms: Double?, callsTotal: UInt64, errorsTotal: UInt64) {
        self.pid = pid
        self.name = name
        self.command = command
        self.mode = mode
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.running = running
        self.lastSeen = lastSeen
        self.calls = calls
        self.errors = errors
        self.p95Ms = p95Ms
        self.callsTotal = callsTotal
        self.errorsTotal = errorsTotal
    }

    /// A running instance that did not answer in time: known from its registry entry, figures unknown.
    public static func unanswered(_ instance: FleetInstance, now: Date) -> FleetInstanceSummary {
        FleetInstanceSummary(pid: instance.pid, name: instance.name, command: instance.command, mode: instance.mode,
                             startedAt: instance.startedAt, running: true, lastSeen: now, calls: 0, errors: 0, p95Ms: nil,
                             callsTotal: 0, errorsTotal: 0)
    }
}

/// One server of the fleet: its instances (running or stopped) and its figures over the window.
public struct FleetServerSummary: Codable, Sendable, Equatable {
    /// The name every view of it is reached by (`server=NAME`).
    public var name: String
    /// Whether any instance runs now.
    public var running: Bool
    /// Its instances, newest first.
    public var instances: [FleetInstanceSummary]
    /// The latest time any instance was seen.
    public var lastSeen: Date
    /// Calls in the window, over every instance.
    public var calls: Int
    /// Failed calls in the window, over every instance.
    public var errors: Int
    /// The 95th percentile in the window, in milliseconds, from every instance's histogram summed (the store's, for
    /// a stopped server and, by the front door, for a running one); without a store, the highest of the instances'
    /// p95 (percentiles cannot be added; with one instance, the usual case, it is that instance's).
    public var p95Ms: Double?
    /// Calls since each instance started, added.
    public var callsTotal: UInt64
    /// Failed calls since each instance started, added.
    public var errorsTotal: UInt64

    /// Groups instances by server name: the live ones, then those only the history knows (a pid in both is taken
    /// from `live`; an instance is its pid and start). Servers are sorted by name.
    public static func grouped(live: [FleetInstanceSummary], history: [FleetInstanceSummary] = []) -> [FleetServerSummary] {
        // A pid is reused in time: an instance is its pid and its start.
        let liveKeys = Set(live.map { "\($0.pid)@\(Int($0.startedAt.timeIntervalSince1970))" })
        let all = live + history.filter { !liveKeys.contains("\($0.pid)@\(Int($0.startedAt.timeIntervalSince1970))") }
        var byName: [String: [FleetInstanceSummary]] = [:]
        for instance in all { byName[instance.name, default: []].append(instance) }
        return byName.map { name, instances in
            let sorted = instances.sorted { ($0.running ? 1 : 0, $0.startedAt) > ($1.running ? 1 : 0, $1.startedAt) }
            return FleetServerSummary(
                name: name, running: sorted.contains(where: \.running), instances: sorted,
                lastSeen: sorted.map(\.lastSeen).max() ?? Date(timeIntervalSince1970: 0),
                calls: sorted.reduce(0) { $0 + $1.calls }, errors: sorted.reduce(0) { $0 + $1.errors },
                p95Ms: sorted.compactMap(\.p95Ms).max(),
                callsTotal: sorted.reduce(0) { $0 + $1.callsTotal }, errorsTotal: sorted.reduce(0) { $0 + $1.errorsTotal })
        }.sorted { $0.name < $1.name }
    }
}

/// `GET /api/servers`.
public struct FleetList: Codable, Sendable {
    /// When it was put together.
    public var generatedAt: Date
    /// The window the figures cover.
    public var windowSeconds: Int
    /// The pid of the mcpwatch that answered (the front door).
    public var frontDoor: Int32
    /// Every server known, by name.
    public var servers: [FleetServerSummary]
}
