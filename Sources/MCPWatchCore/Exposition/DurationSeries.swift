/// One Prometheus histogram series: a target's call durations for one `error.type` (nil: successful calls).
public struct DurationSeries: Sendable, Equatable {
    /// The method and target.
    public var key: TargetKey
    /// Which way the requests went.
    public var direction: Direction
    /// The OpenTelemetry `error.type`, or nil for calls that succeeded.
    public var errorType: String?
    /// The counts.
    public var buckets: DurationBuckets
}
