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
}

/// The history of a fleet without a store: nothing beyond the running instances.
public struct LiveFleetHistory: FleetHistory {
    /// Creates it.
    public init() {}

    public func instances(window: Duration, running: [FleetInstance]) async -> [FleetInstanceSummary] { [] }
}
