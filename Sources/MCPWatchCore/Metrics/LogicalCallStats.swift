/// The logical calls of one target (first request to final result, across `input_required` rounds and task polls),
/// kept beside its round trips once the target has had a longer one: until then every round trip was a logical call
/// of one round, so the round trips' figures are the logical ones and nothing is kept twice.
struct LogicalCallStats: Sendable {
    var histogram: LatencyHistogram
    var buckets: DurationBuckets
    var calls: UInt64
    var failures: UInt64
    var sumNanos: UInt64
    var minNanos: UInt64
    var maxNanos: UInt64
    /// Round trips of the request itself, over all logical calls.
    var rounds: UInt64
    var maxRounds: Int
    /// Logical calls of more than one round.
    var multiRound: UInt64 = 0
    /// Logical calls that created a task.
    var tasks: UInt64 = 0
    /// `tasks/get` polls of those tasks.
    var polls: UInt64 = 0
    /// Time spent waiting for the client between rounds, summed.
    var clientWaitNanos: UInt64 = 0

    /// Starts from the target's round trips so far, each a logical call of one round.
    init(seededFrom stats: TargetStats) {
        histogram = stats.histogram
        var all = stats.okBuckets
        for b in stats.errorBuckets.values { all.add(b) }
        buckets = all
        calls = stats.calls
        failures = stats.failures
        sumNanos = stats.sumNanos
        minNanos = stats.minNanos
        maxNanos = stats.maxNanos
        rounds = stats.calls
        maxRounds = stats.calls > 0 ? 1 : 0
    }

    @inline(__always)
    mutating func record(durationNanos: UInt64, rounds: Int, clientWaitNanos: UInt64, polls: Int, task: Bool, failed: Bool) {
        let micros = max(1, durationNanos / 1_000)
        histogram.record(min(micros, TargetStats.highestTrackableMicros))
        buckets.add(micros: micros, nanos: durationNanos)
        calls &+= 1
        if failed { failures &+= 1 }
        sumNanos &+= durationNanos
        if durationNanos < minNanos { minNanos = durationNanos }
        if durationNanos > maxNanos { maxNanos = durationNanos }
        self.rounds &+= UInt64(rounds)
        if rounds > maxRounds { maxRounds = rounds }
        if rounds > 1 { multiRound &+= 1 }
        if task { tasks &+= 1 }
        self.polls &+= UInt64(polls)
        self.clientWaitNanos &+= clientWaitNanos
    }
}
