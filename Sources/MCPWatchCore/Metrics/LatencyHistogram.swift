/// A target's latency histogram in microseconds: HdrHistogram's layout at 2 significant digits (values to within
/// 1 %, 1 µs to one hour), with a running total per group of 128 counts, so that percentiles skip the empty and
/// the already-passed parts instead of walking all 3,328 counts.
///
/// The layout and the percentile rule are HdrHistogram's (a test keeps the results equal to its
/// `valueAtPercentile`, value for value); the walk is what differs. Through the library's iterator, a report over
/// 1,000 targets with long-tailed latencies spent over 25 ms walking; here a walk is at most 26 group totals
/// plus 128 counts per percentile, on plain arrays.
///
/// Sparse by group: only the groups of 128 counts that have a value are stored (1 KB each, in group order, found
/// by a bit mask), so a tool whose calls span two orders of magnitude keeps about 7 KB instead of all 26 KB. The
/// layout the counts are read in (``counts``, ``LatencyCounts``) is unchanged.
struct LatencyHistogram: Sendable, Equatable {
    /// The largest value kept; larger ones count as this.
    static let highestTrackable: UInt64 = 3_600_000_000
    /// 128 sub-buckets per power of two (2 significant digits: 2 × 10² < 256).
    static let halfCountMagnitude = 7
    static let halfCount = 1 << halfCountMagnitude
    /// 26 groups of 128: the linear first 256 values, then one group per power of two up to `highestTrackable`.
    static let groupCount = 26
    static let length = groupCount * halfCount

    /// The counts of the groups that have any, in group order, 128 per group.
    private var stored: [UInt64] = []
    /// Bit g set: group g is stored (at the rank of g among the set bits).
    private var present: UInt32 = 0
    /// Every count per group (0 for groups not stored); empty until the first value.
    private var totals: [UInt64] = []
    private(set) var totalCount: UInt64 = 0
    private(set) var minValue: UInt64 = .max
    private(set) var maxValue: UInt64 = 0

    init() {}

    /// All counts in the full layout (``length`` of them, zero where no group is stored), read without copying.
    struct Counts: RandomAccessCollection, Sendable {
        fileprivate let stored: [UInt64]
        fileprivate let present: UInt32
        var startIndex: Int { 0 }
        var endIndex: Int { LatencyHistogram.length }
        @inline(__always)
        subscript(index: Int) -> UInt64 {
            let g = index >> LatencyHistogram.halfCountMagnitude
            guard present & (1 << UInt32(g)) != 0 else { return 0 }
            return stored[LatencyHistogram.offset(ofGroup: g, present: present) + (index & (LatencyHistogram.halfCount - 1))]
        }
    }

    /// The counts in HdrHistogram's layout.
    var counts: Counts { Counts(stored: stored, present: present) }
    /// The total count of each group of 128, ``groupCount`` of them.
    var groups: [UInt64] { totals.isEmpty ? Array(repeating: 0, count: Self.groupCount) : totals }

    /// Bytes held on the heap for counts (for the memory figures).
    var storedBytes: Int { (stored.capacity + totals.capacity) * MemoryLayout<UInt64>.stride }

    @inline(__always)
    static func offset(ofGroup g: Int, present: UInt32) -> Int {
        (present & ((1 << UInt32(g)) - 1)).nonzeroBitCount << halfCountMagnitude
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
        let g = i >> Self.halfCountMagnitude
        if present & (1 << UInt32(g)) == 0 { addGroup(g) }
        stored[Self.offset(ofGroup: g, present: present) + (i & (Self.halfCount - 1))] &+= 1
        totals[g] &+= 1
        totalCount &+= 1
        if value < minValue { minValue = value }
        if value > maxValue { maxValue = value }
    }

    /// Stores a group's 128 counts, at most 26 times in a histogram's life.
    @inline(never)
    private mutating func addGroup(_ g: Int) {
        if totals.isEmpty { totals = Array(repeating: 0, count: Self.groupCount) }
        let at = Self.offset(ofGroup: g, present: present)
        var grown: [UInt64] = []
        grown.reserveCapacity(stored.count + Self.halfCount)
        grown.append(contentsOf: stored[..<at])
        grown.append(contentsOf: repeatElement(0, count: Self.halfCount))
        grown.append(contentsOf: stored[at...])
        stored = grown
        present |= 1 << UInt32(g)
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
        let present = present
        stored.withUnsafeBufferPointer { stored in
            totals.withUnsafeBufferPointer { groups in
                var seen: UInt64 = 0  // counts before group g (and, within it, before cell j)
                var g = 0
                var k = 0
                while k < ranks.count, g < Self.groupCount {
                    let r = ranks[k]
                    // Skip the whole groups that end before the rank (empty ones have a total of 0).
                    guard seen + groups[g] >= r else {
                        seen += groups[g]
                        g += 1
                        continue
                    }
                    // The rank (and maybe the next ones) falls in group g: walk its counts.
                    let base = Self.offset(ofGroup: g, present: present)
                    var within = seen
                    var j = 0
                    while k < ranks.count, j < Self.halfCount {
                        let c = stored[base + j]
                        if within + c >= ranks[k] {
                            let i = (g << Self.halfCountMagnitude) + j
                            found[k] = Swift.max(Swift.min(Self.highestEquivalent(index: i), maxValue), minValue)
                            k += 1
                            continue
                        }
                        within += c
                        j += 1
                    }
                    if k < ranks.count {
                        seen += groups[g]
                        g += 1
                    }
                }
            }
        }
        return (found[0], found[1], found[2], found[3], found[4])
    }
}
