import Foundation

/// What the fleet's front door knows of a server beyond its running instances: the servers seen before, stopped
/// ones included, with their instances and figures over a window.
///
/// ``LiveFleetHistory`` knows only what runs now; a store-backed implementation (MCPWatchStore) adds the servers
/// that have stopped and the figures of past instances.
public protocol FleetHistory: Sendable {
    /// The instances that do not run now (at least the latest of every server known), each with its figures over
    /// the last `window` (`running: false`, `endedAt` and `lastSeen` set). The front door asks the running ones
    /// itself; an instance returned here that also runs (same pid and start) is taken from the running one.
    /// - Parameter running: the instances running now.
    func instances(window: Duration, running: [FleetInstance]) async -> [FleetInstanceSummary]

    /// The answer to a per-server endpoint about `server` when no instance of it runs (its views from the store),
    /// or nil when the history cannot answer it (the front door then says 404).
    /// - Parameters:
    ///   - path: the endpoint's path as requested (`/api/report`, `/api/tools/echo`, percent-encoded).
    ///   - query: its query without `server`, as it came.
    func answer(server: String, path: String, query: String) async -> FleetHistoryAnswer?

    /// The 95th percentile (ms) of each of `servers` over the last `window`, from the histograms of every instance
    /// summed (running and stopped alike), for the servers the history has figures of. Percentiles cannot be added:
    /// a server with two instances needs their histograms, not their p95s.
    func p95(servers: [String], window: Duration) async -> [String: Double]
}

extension FleetHistory {
    /// No answer: a history that knows no past views.
    public func answer(server: String, path: String, query: String) async -> FleetHistoryAnswer? { nil }

    /// No figures: the front door keeps the highest of the instances' own p95 (the best it can do without histograms).
    public func p95(servers: [String], window: Duration) async -> [String: Double] { [:] }
}

/// A response the history gives for a server that has stopped.
public struct FleetHistoryAnswer: Sendable {
    /// The HTTP status.
    public var status: Int
    /// Its `Content-Type`.
    public var contentType: String
    /// Its body.
    public var body: Data

    /// Creates one (JSON by default).
    public init(status: Int = 200, contentType: String = "application/json; charset=utf-8", body: Data) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }
}

/// The history of a fleet without a store: nothing beyond the running instances.
public struct LiveFleetHistory: FleetHistory {
    /// Creates it.
    public init() {}

    public func instances(window: Duration, running: [FleetInstance]) async -> [FleetInstanceSummary] { [] }
}
