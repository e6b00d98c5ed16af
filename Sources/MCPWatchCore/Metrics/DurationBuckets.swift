/// Fixed Prometheus histogram buckets for call durations, counted at record time.
///
/// The bounds resolve sub-millisecond stdio calls (100 µs up) as well as the OpenTelemetry MCP convention's
/// 0.01 s to 300 s. Kept per target and per `error.type`, because Prometheus needs a histogram per label set.
public struct DurationBuckets: Sendable, Equatable {
    /// Upper bounds in microseconds (the `le` labels, in seconds, are these divided by a million).
    public static let boundsMicros: [UInt64] = [
        100, 250, 500, 1_000, 2_500, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000,
        1_000_000, 2_000_000, 5_000_000, 10_000_000, 30_000_000, 60_000_000, 120_000_000, 300_000_000,
    ]

    /// Non-cumulative counts per bucket; the last one is above every bound (+Inf).
    public private(set) var counts: [UInt64]
    /// Sum of durations in nanoseconds.
    public private(set) var sumNanos: UInt64 = 0

    /// Empty buckets.
    public init() { counts = Array(repeating: 0, count: Self.boundsMicros.count + 1) }

    @inline(__always)
    mutating func add(micros: UInt64, nanos: UInt64) {
        var i = 0
        let bounds = Self.boundsMicros
        while i < bounds.count && micros > bounds[i] { i += 1 }
        counts[i] &+= 1
        sumNanos &+= nanos
    }

    /// Adds another set of buckets to these.
    mutating func add(_ other: DurationBuckets) {
        for i in counts.indices { counts[i] &+= other.counts[i] }
        sumNanos &+= other.sumNanos
    }

    /// Total count.
    public var count: UInt64 { counts.reduce(0, &+) }

    /// Cumulative counts, one per bound and a last one for +Inf, as Prometheus expects.
    public var cumulative: [UInt64] {
        var running: UInt64 = 0
        return counts.map {
            running &+= $0
            return running
        }
    }
}
