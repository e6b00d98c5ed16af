import Foundation

/// All calls together over one step of a chart: counts, mean, maximum and percentiles.
public struct OverallPoint: Codable, Sendable, Equatable {
    /// The start of the step.
    public var time: Date
    /// Calls that finished in it.
    public var calls: UInt64
    /// Of which failed.
    public var errors: UInt64
    /// Mean latency in ms; null without calls.
    public var avgMs: Double?
    /// Median latency in ms (from log buckets, within 12 %); null without calls.
    public var p50Ms: Double?
    /// 95th percentile in ms; null without calls.
    public var p95Ms: Double?
    /// 99th percentile in ms; null without calls.
    public var p99Ms: Double?
    /// The slowest call in ms; null without calls.
    public var maxMs: Double?
}

/// The chart series of all calls: `GET /api/series`.
public struct OverallSeries: Codable, Sendable, Equatable {
    /// Seconds per point.
    public var stepSeconds: Int
    /// Oldest first; the last point ends with the last complete second.
    public var points: [OverallPoint]
}

extension MetricsStore {
    /// The default step for a window: one second up to 5 minutes, then about 300 points.
    public static func defaultStep(seconds: Int) -> Int { max(1, (seconds + 299) / 300) }

    /// All calls over the last `seconds` complete seconds (at most the series window), in steps of `step` seconds.
    public func overallSeries(seconds: Int, step: Int? = nil) -> OverallSeries {
        let current = second(of: clock.now())
        let copy = state.withLock { $0 }
        let span = max(1, min(seconds, copy.seconds.capacity - 1))
        let step = max(1, min(step ?? Self.defaultStep(seconds: span), span))
        let count = span / step
        // The last complete second is current - 1; before the store is a second old there is none.
        guard current >= 1 else { return OverallSeries(stepSeconds: step, points: []) }
        let end = current - 1
        var points: [OverallPoint] = []
        points.reserveCapacity(count)
        var buckets = LatencyBuckets()
        for k in stride(from: count - 1, through: 0, by: -1) {
            let last = Int64(end) - Int64(k * step)
            let first = last - Int64(step) + 1
            guard last >= 0 else { continue }
            var calls: UInt64 = 0, errors: UInt64 = 0, sum: UInt64 = 0, maxMicros: UInt32 = 0
            for i in 0..<buckets.counts.count { buckets.counts[i] = 0 }
            for s in UInt32(max(0, first))...UInt32(last) {
                let slot = copy.seconds.slot(second: s)
                guard slot.calls > 0 else { continue }
                calls += UInt64(slot.calls)
                errors += UInt64(slot.errors)
                sum += slot.sumMicros
                maxMicros = max(maxMicros, slot.maxMicros)
                Self.addLatency(of: s, from: copy, into: &buckets)
            }
            // A bucket's upper bound can lie above the slowest call in it: never report more than the maximum.
            let ms = { (p: Double) in calls > 0 ? buckets.value(atPercentile: p).map { min($0, Double(maxMicros)) / 1_000 } : nil }
            points.append(OverallPoint(
                time: startDate.addingTimeInterval(Double(first)), calls: calls, errors: errors,
                avgMs: calls > 0 ? Double(sum) / Double(calls) / 1_000 : nil,
                p50Ms: ms(50), p95Ms: ms(95), p99Ms: ms(99), maxMs: calls > 0 ? Double(maxMicros) / 1_000 : nil))
        }
        return OverallSeries(stepSeconds: step, points: points)
    }
}
