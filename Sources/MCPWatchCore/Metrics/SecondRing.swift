/// Per-second counts for the last `capacity` seconds, in a fixed ring: rates and chart series come from it.
struct SecondRing: Sendable {
    /// One second of calls.
    struct Slot: Sendable, Equatable {
        /// Which second (since the store started) this slot holds; `UInt32.max` when empty.
        var second: UInt32 = .max
        var calls: UInt32 = 0
        var errors: UInt32 = 0
        var maxMicros: UInt32 = 0
        var sumMicros: UInt64 = 0
    }

    private(set) var slots: [Slot]

    init(capacity: Int) { slots = Array(repeating: Slot(), count: max(1, capacity)) }

    var capacity: Int { slots.count }

    @inline(__always)
    mutating func add(second: UInt32, failed: Bool, micros: UInt64) {
        let i = Int(second % UInt32(slots.count))
        if slots[i].second != second { slots[i] = Slot(second: second) }
        slots[i].calls &+= 1
        if failed { slots[i].errors &+= 1 }
        let m = UInt32(truncatingIfNeeded: min(micros, UInt64(UInt32.max)))
        if m > slots[i].maxMicros { slots[i].maxMicros = m }
        slots[i].sumMicros &+= micros
    }

    /// The slot for a second, or an empty one if that second is not held.
    func slot(second: UInt32) -> Slot {
        let s = slots[Int(second % UInt32(slots.count))]
        return s.second == second ? s : Slot(second: second)
    }

    /// Calls and errors over the `seconds` seconds ending with `current` (inclusive).
    func totals(endingAt current: UInt32, seconds: Int) -> (calls: UInt64, errors: UInt64, sumMicros: UInt64) {
        var calls: UInt64 = 0, errors: UInt64 = 0, sum: UInt64 = 0
        let span = UInt32(min(seconds, slots.count))
        let first = current >= span ? current - span + 1 : 0
        for slot in slots where slot.second != .max && slot.second >= first && slot.second <= current {
            calls += UInt64(slot.calls)
            errors += UInt64(slot.errors)
            sum += slot.sumMicros
        }
        return (calls, errors, sum)
    }
}

/// Coarse log-scale latency counts (4 buckets per power of two, 1 µs to about 71 minutes): cheap enough to keep one
/// per second for the whole store, so that charts can show percentiles over time.
struct LatencyBuckets: Sendable, Equatable {
    static let count = 128
    var counts: [UInt32]

    init() { counts = Array(repeating: 0, count: Self.count) }

    @inline(__always)
    static func index(micros: UInt64) -> Int {
        guard micros >= 4 else { return Int(micros) }
        let octave = 63 - micros.leadingZeroBitCount
        let sub = Int((micros >> UInt64(octave - 2)) & 3)
        return min(count - 1, octave * 4 + sub)
    }

    /// The upper bound of a bucket, in microseconds.
    static func upperBound(index: Int) -> Double {
        guard index >= 4 else { return Double(index) }
        let octave = index / 4, sub = index % 4
        return Double(UInt64(1) << UInt64(octave)) * (1 + Double(sub + 1) / 4)
    }

    @inline(__always)
    mutating func add(micros: UInt64) { counts[Self.index(micros: micros)] &+= 1 }

    mutating func add(_ other: LatencyBuckets) {
        for i in 0..<Self.count { counts[i] &+= other.counts[i] }
    }

    var total: UInt64 { counts.reduce(0) { $0 + UInt64($1) } }

    /// The value (µs) at or below which `percentile` percent of the counts lie, or nil when empty.
    func value(atPercentile percentile: Double) -> Double? {
        let total = self.total
        guard total > 0 else { return nil }
        let rank = max(1, UInt64((percentile / 100 * Double(total)).rounded(.up)))
        var seen: UInt64 = 0
        for (i, c) in counts.enumerated() {
            seen += UInt64(c)
            if seen >= rank { return Self.upperBound(index: i) }
        }
        return Self.upperBound(index: Self.count - 1)
    }
}

/// The last `capacity` outcomes of a target (duration, failure, second), newest last: its recent success rate and
/// mean, and the call windows and latency percentiles that alert rules evaluate.
struct RecentOutcomes: Sendable {
    private var micros: [UInt32]
    private var failed: [Bool]
    private var seconds: [UInt32]
    private var next = 0
    private(set) var count = 0

    init(capacity: Int) {
        micros = Array(repeating: 0, count: max(1, capacity))
        failed = Array(repeating: false, count: max(1, capacity))
        seconds = Array(repeating: 0, count: max(1, capacity))
    }

    var capacity: Int { micros.count }

    @inline(__always)
    mutating func add(micros value: UInt64, failed isFailure: Bool, second: UInt32 = 0) {
        micros[next] = UInt32(truncatingIfNeeded: min(value, UInt64(UInt32.max)))
        failed[next] = isFailure
        seconds[next] = second
        next = next + 1 == micros.count ? 0 : next + 1
        if count < micros.count { count += 1 }
    }

    /// Visits at most `limit` outcomes, newest first, while `body` returns true.
    @inline(__always)
    func forEachNewest(_ limit: Int, _ body: (_ micros: UInt32, _ failed: Bool, _ second: UInt32) -> Bool) {
        var i = next
        for _ in 0..<min(limit, count) {
            i = i == 0 ? micros.count - 1 : i - 1
            if !body(micros[i], failed[i], seconds[i]) { return }
        }
    }

    /// Appends the durations of at most `limit` outcomes, newest first, that finished at or after `second`;
    /// returns (count, failures, sum of µs, newest second, oldest second). A plain loop: the alert tick runs it
    /// for every target and window.
    @inline(__always)
    func appendNewest(_ limit: Int, since second: UInt32, into out: inout [UInt32]) -> (count: Int, failures: Int, sum: UInt64, newest: UInt32, oldest: UInt32) {
        let n = min(limit, count)
        guard n > 0 else { return (0, 0, 0, 0, 0) }
        var taken = 0, failures = 0, sum: UInt64 = 0
        var newest: UInt32 = 0, oldest: UInt32 = 0
        micros.withUnsafeBufferPointer { m in
            failed.withUnsafeBufferPointer { f in
                seconds.withUnsafeBufferPointer { sec in
                    var i = next
                    let capacity = m.count
                    while taken < n {
                        i = i == 0 ? capacity - 1 : i - 1
                        let s = sec[i]
                        if s < second { break }
                        if taken == 0 { newest = s }
                        oldest = s
                        let v = m[i]
                        out.append(v)
                        sum &+= UInt64(v)
                        if f[i] { failures += 1 }
                        taken += 1
                    }
                }
            }
        }
        return (taken, failures, sum, newest, oldest)
    }

    /// Calls, failures and mean duration (µs) of the newest `limit` outcomes.
    func summary(last limit: Int) -> (calls: Int, failures: Int, meanMicros: Double) {
        var sum: UInt64 = 0, failures = 0, calls = 0
        forEachNewest(limit) { m, f, _ in
            sum += UInt64(m)
            if f { failures += 1 }
            calls += 1
            return true
        }
        return calls == 0 ? (0, 0, 0) : (calls, failures, Double(sum) / Double(calls))
    }
}
