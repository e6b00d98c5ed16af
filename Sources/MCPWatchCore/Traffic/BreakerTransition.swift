import Foundation

/// Where a circuit breaker is.
public enum BreakerState: String, Codable, Sendable, Equatable, CaseIterable {
    /// Calls go to the server; failures are counted.
    case closed
    /// Calls are answered at once with ``TrafficOutcome/circuitOpen``, until the cool-down is over.
    case open
    /// A few probe calls go through; their answers decide between closed and open.
    case halfOpen = "half_open"
}

/// One change of a breaker's state: shaped like ``AlertEvent`` (when, from, to, value, threshold, summary, the
/// target), so that it can join the alert history, `/api/events` and the notifiers.
public struct BreakerTransition: Codable, Sendable, Equatable {
    /// Why the state changed.
    public enum Reason: String, Codable, Sendable, Equatable {
        /// `failures` failures in a row.
        case consecutiveFailures = "consecutive_failures"
        /// The error rate over the window went above the threshold.
        case errorRate = "error_rate"
        /// The cool-down is over: probe calls may go.
        case coolDownOver = "cool_down_over"
        /// A probe call failed.
        case probeFailed = "probe_failed"
        /// Every probe call succeeded.
        case probesSucceeded = "probes_succeeded"
    }

    /// Increasing from 1 per breaker (a shared history numbers them again).
    public var sequence: UInt64
    /// When (wall clock, for people).
    public var at: Date
    /// The breaker: `server`, `tool:NAME` or `method:NAME`.
    public var breaker: String
    /// The method the breaker is about, for per-method and per-tool breakers.
    public var method: String?
    /// The tool, for per-tool breakers.
    public var target: String?
    /// The state before.
    public var from: BreakerState
    /// The state after.
    public var to: BreakerState
    /// Why.
    public var reason: Reason
    /// The figure that decided: failures in a row, error rate in percent, probe calls.
    public var value: Double?
    /// Its threshold.
    public var threshold: Double?
    /// One sentence for people.
    public var summary: String
    /// When an open breaker lets probe calls through (for `to == .open`).
    public var retryAt: Date?
}
