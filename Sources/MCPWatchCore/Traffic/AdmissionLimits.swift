/// The limits of an ``AdmissionQueue``: server-wide, per group, and the queue's size and timeout.
public struct AdmissionLimits: Sendable, Equatable {
    /// Calls in flight at the server at once (nil: no server-wide limit).
    public var maxConcurrency: Int?
    /// Calls in flight at once per group (a tool or method name), for the groups that have a limit.
    public var groupLimits: [String: Int]
    /// Calls that may wait at once; one more is rejected.
    public var maxQueued: Int
    /// How long a call may wait by default (nil: as long as it takes).
    public var queueTimeout: Duration?

    /// Creates limits.
    public init(maxConcurrency: Int?, groupLimits: [String: Int] = [:], maxQueued: Int, queueTimeout: Duration?) {
        self.maxConcurrency = maxConcurrency
        self.groupLimits = groupLimits
        self.maxQueued = maxQueued
        self.queueTimeout = queueTimeout
    }
}
