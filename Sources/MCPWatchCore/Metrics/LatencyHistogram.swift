/// A target's latency histogram in microseconds: HdrHistogram's layout at 2 significant digits (values to within
/// 1 %, 1 µs to one hour), with a running total per group of 128 counts, so that percentiles skip the empty and
/// the already-passed parts instead of walking all 3,328 counts.
///
/// The layout and the percentile rule are HdrHistogram's (a test keeps the results equal to its
/// `valueAtPercentile`, value for value); the walk is what differs. Through the library's iterator, a report over
/// 1,000 targets with long-tailed latencies spent over 25 ms walking; here a walk is at most 26 group totals
/// plus 128 counts per percentile, on plain arrays.
struct LatencyHistogram: Sendable, Equatable {
    /// The largest value kept; larger ones count as this.
    static let highestTrackable: UInt64 = 3_600_000_000
    /// 128 sub-buckets per power of two (2 significant digits: 2 × 10² < 256).
    static let halfCountMagnitude = 7
    static let halfCount = 1 << halfCountMagnitude
    /// 26 groups of 128: the linear first 256 values, then one group per power of two up to `highestTrackable`.
    static let length = 26 * halfCount

    private(set) var counts: [UInt64]
    private(set) var groups: [UInt64]
    private(set) var totalCount: UInt64 = 0
    private(set) var minValue: UInt64 = .max
    private(set) var maxValue: UInt64 = 0

    init() {
        counts = Array(repeating: 0, count: Self.length)
        groups = Array(repeating: 0, count: Self.length / Self.halfCount)
    }

    /// The counts index of a value (HdrHistogram's `countsIndexForValue` with unit magnitude 0).
    @inline(__always)
    static func index(of value: UInt64) -> Int {
        let pow2ceiling = 64 - (value | 255).leadingZeroBitCount
        let bucket = pow2ceiling - (halfCountMagnitude + 1)
        let sub = Int(truncatingIfNeeded: value >> UInt64(bucket))
        return ((bucket + 1) << halfCountMagnitude) + sub - halfCount
    }

    /// The highest value that falls in the same count as the value at `index`.
    @inline(__always)
    static func highestEquivalent(index: Int) -> UInt64 {
        var bucket = (index >> halfCountMagnitude) - 1
        var sub = (index & (halfCount - 1)) + halfCount
        if bucket < 0 {
            sub -= halfCount
            bucket = 0
        }
        let lowest = UInt64(sub) << UInt64(bucket)
        return lowest + (UInt64(1) << UInt64(bucket)) - 1
    }

    @inline(__always)
    mutating func record(_ micros: UInt64) {
        let value = min(micros, Self.highestTrackable)
        let i = Self.index(of: value)
        counts[i] &+= 1
        groups[i >> Self.halfCountMagnitude] &+= 1
        totalCount &+= 1
        if value < minValue { minValue = value }
        if value > maxValue { maxValue = value }
    }

    /// p50, p90, p95, p99 and p99.9 in µs, as HdrHistogram's `valueAtPercentile` finds them (nearest rank, the
    /// highest value equivalent to the count's, clamped to the smallest and largest recorded); zeros when empty.
    func percentiles() -> (UInt64, UInt64, UInt64, UInt64, UInt64) {
        guard totalCount > 0 else { return (0, 0, 0, 0, 0) }
        let total = Double(totalCount)
        func rank(_ percentile: Double) -> UInt64 {
            // As valueAtPercentile: one ulp less, so 99.9 % of 1,000 is 999 and not 1,000.
            Swift.max(1, UInt64((Swift.min(Swift.max(percentile.nextDown, 0), 100) * total / 100).rounded(.up)))
        }
        let ranks = [rank(50), rank(90), rank(95), rank(99), rank(99.9)]
        var found: [UInt64] = [maxValue, maxValue, maxValue, maxValue, maxValue]
        counts.withUnsafeBufferPointer { counts in
            groups.withUnsafeBufferPointer { groups in
                var seen: UInt64 = 0  // counts before index i
                var i = 0
                for (k, r) in ranks.enumerated() {
                    while i < counts.count {
                        if i & (Self.halfCount - 1) == 0 {
                            // At a group's start: skip the whole groups that end before the rank.
                            var g = i >> Self.halfCountMagnitude
                            while g < groups.count, seen + groups[g] < r {
                                seen += groups[g]
                                g += 1
                            }
                            i = g << Self.halfCountMagnitude
                            if i >= counts.count { break }
                        }
                        if seen + counts[i] >= r { break }
                        seen += counts[i]
                        i += 1
                    }
                    guard i < counts.count else { return }
                    found[k] = Swift.max(Swift.min(Self.highestEquivalent(index: i), maxValue), minValue)
                }
            }
        }
        return (found[0], found[1], found[2], found[3], found[4])
    }
}
