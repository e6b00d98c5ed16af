/// Per-second counts for the last `capacity` seconds: rates and chart series come from it.
///
/// Sparse: only the seconds that had a call are held, oldest first, in a ring buffer that grows (doubling) with the
/// seconds in use and shrinks when they thin out, up to `capacity` slots. A tool called now and then holds a few
/// slots, not an hour of them; a tool called every second holds what the dense ring held.
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

    /// The seconds covered (the window), at most this many slots held.
    let capacity: Int
    /// The held slots as a ring: `count` of them from `head`, in increasing second order.
    private var buffer: [Slot] = []
    private var head = 0
    private(set) var count = 0

    static let initialSlots = 4

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Bytes held on the heap (for the memory figures).
    var storedBytes: Int { buffer.capacity * MemoryLayout<Slot>.stride }

    @inline(__always)
    private func position(_ k: Int) -> Int {
        let p = head + k
        return p >= buffer.count ? p - buffer.count : p
    }

    @inline(__always)
    mutating func add(second: UInt32, failed: Bool, micros: UInt64) {
        let k: Int
        if count > 0, buffer[position(count - 1)].second == second {
            k = count - 1
        } else {
            k = insert(second)
            if k < 0 { return }
        }
        let i = position(k)
        buffer[i].calls &+= 1
        if failed { buffer[i].errors &+= 1 }
        let m = UInt32(truncatingIfNeeded: min(micros, UInt64(UInt32.max)))
        if m > buffer[i].maxMicros { buffer[i].maxMicros = m }
        buffer[i].sumMicros &+= micros
    }

    /// Makes room for a new second and returns its rank, or -1 when it is older than the window.
    @inline(never)
    private mutating func insert(_ second: UInt32) -> Int {
        let newest = count > 0 ? buffer[position(count - 1)].second : second
        let top = max(newest, second)
        // Seconds that left the window of the newest one go first (a dense ring would have overwritten them).
        while count > 0, UInt64(buffer[head].second) + UInt64(capacity) <= UInt64(top) {
            buffer[head] = Slot()
            head = head + 1 == buffer.count ? 0 : head + 1
            count -= 1
        }
        if UInt64(second) + UInt64(capacity) <= UInt64(top) { return -1 }
        if count == buffer.count {
            relayout(slots: min(max(Self.initialSlots, buffer.count * 2), capacity))
        } else if buffer.count > 4 * Self.initialSlots, count * 4 < buffer.count {
            relayout(slots: buffer.count / 2)
        }
        // Usually the newest; a call that finished a moment before the last one recorded goes just before it.
        var k = count
        while k > 0, buffer[position(k - 1)].second > second { k -= 1 }
        if k > 0, buffer[position(k - 1)].second == second { return k - 1 }
        var j = count
        while j > k {
            buffer[position(j)] = buffer[position(j - 1)]
            j -= 1
        }
        count += 1
        buffer[position(k)] = Slot(second: second)
        return k
    }

    /// Copies the held slots, oldest first, into a buffer of `slots` (at least `count`).
    private mutating func relayout(slots: Int) {
        var grown: [Slot] = []
        grown.reserveCapacity(slots)
        for k in 0..<count { grown.append(buffer[position(k)]) }
        grown.append(contentsOf: repeatElement(Slot(), count: slots - count))
        buffer = grown
        head = 0
    }

    /// The rank of the first held slot whose second is at or after `second` (`count` if none).
    private func lowerBound(_ second: UInt32) -> Int {
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            if buffer[position(mid)].second < second { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// The slot for a second, or an empty one if that second is not held.
    func slot(second: UInt32) -> Slot {
        let k = lowerBound(second)
        if k < count {
            let s = buffer[position(k)]
            if s.second == second { return s }
        }
        return Slot(second: second)
    }

    /// Visits the held slots with a second in `first...last`, oldest first.
    func forEach(from first: UInt32, through last: UInt32, _ body: (Slot) -> Void) {
        guard first <= last else { return }
        var k = lowerBound(first)
        while k < count {
            let s = buffer[position(k)]
            if s.second > last { return }
            body(s)
            k += 1
        }
    }

    /// Calls and errors over the `seconds` seconds ending with `current` (inclusive).
    func totals(endingAt current: UInt32, seconds: Int) -> (calls: UInt64, errors: UInt64, sumMicros: UInt64) {
        var calls: UInt64 = 0, errors: UInt64 = 0, sum: UInt64 = 0
        let span = UInt32(min(seconds, capacity))
        let first = current >= span ? current - span + 1 : 0
        forEach(from: first, through: current) { slot in
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
    // Grown by appending up to `capacity`, then a ring: a tool called a few times holds a few outcomes.
    private var micros: [UInt32] = []
    private var failed: [Bool] = []
    private var seconds: [UInt32] = []
    private var next = 0
    private(set) var count = 0
    /// How many outcomes are kept at most.
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Bytes held on the heap (for the memory figures).
    var storedBytes: Int { micros.capacity * 4 + failed.capacity + seconds.capacity * 4 }

    @inline(__always)
    mutating func add(micros value: UInt64, failed isFailure: Bool, second: UInt32 = 0) {
        let m = UInt32(truncatingIfNeeded: min(value, UInt64(UInt32.max)))
        if count < capacity {
            if micros.isEmpty {
                micros.reserveCapacity(min(capacity, 16))
                failed.reserveCapacity(min(capacity, 16))
                seconds.reserveCapacity(min(capacity, 16))
            }
            micros.append(m)
            failed.append(isFailure)
            seconds.append(second)
            count += 1
            next = count == capacity ? 0 : count
            return
        }
        micros[next] = m
        failed[next] = isFailure
        seconds[next] = second
        next = next + 1 == capacity ? 0 : next + 1
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
