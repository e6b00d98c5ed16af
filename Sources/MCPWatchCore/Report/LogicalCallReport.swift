/// A target's logical calls: first request to final result, across `input_required` rounds and task polls.
///
/// Present once a target has had a call longer than one round trip; before that its round-trip figures are its
/// logical figures.
public struct LogicalCallReport: Codable, Sendable, Equatable {
    /// Logical calls finished (each counted once, whatever its rounds).
    public var calls: UInt64
    /// Those that ended failed.
    public var errors: UInt64
    /// Of them, calls of more than one round (answered `input_required`, then retried).
    public var multiRoundCalls: UInt64
    /// Of them, calls that created a task and were polled to its end.
    public var taskCalls: UInt64
    /// Round trips of the request itself, over all logical calls (`tasks/get` polls not included).
    public var rounds: UInt64
    /// The most rounds one logical call took.
    public var maxRounds: Int
    /// Rounds per logical call.
    public var avgRounds: Double?
    /// `tasks/get` polls of the tasks these calls created.
    public var polls: UInt64
    /// Time spent waiting for the client between rounds (its user, its model), in ms, summed.
    public var clientWaitMs: Double
    /// Logical latency: first request to final result, client waits included.
    public var latency: LatencySummary
}

/// The long-lived notification streams: `subscriptions/listen` (2026-07-28) and the standalone `GET` stream.
///
/// A stream is neither a call in flight nor, when it ends, a lost call.
public struct StreamsReport: Codable, Sendable, Equatable {
    /// Streams open now.
    public var open: Int
    /// Streams opened since the start.
    public var opened: UInt64
    /// Streams ended, per reason (`server`, `client`, `transport`, `error`).
    public var closed: [String: UInt64]
    /// Per kind (`subscriptions/listen`, `GET`).
    public var kinds: [StreamKindReport]
    /// Notifications delivered on `subscriptions/listen` streams, per method.
    public var notifications: [String: UInt64]
}

/// The streams of one kind.
public struct StreamKindReport: Codable, Sendable, Equatable {
    /// `subscriptions/listen` or `GET`.
    public var kind: String
    /// Open now.
    public var open: Int
    /// Opened since the start.
    public var opened: UInt64
    /// Ended since the start.
    public var closed: UInt64
    /// Mean lifetime of the ended ones, in ms.
    public var avgLifetimeMs: Double?
    /// Longest lifetime of the ended ones, in ms.
    public var maxLifetimeMs: Double?
}
