/// Call figures over an alert window: the last so many seconds, or the last so many calls.
public struct WindowStatistics: Sendable, Equatable {
    /// The target's method (empty for all calls).
    public var method: String
    /// The target's name as reports show it (the tool, prompt or resource, else the method); nil for all calls.
    public var name: String?
    /// Calls that finished in the window.
    public var calls: Int
    /// Of which failed.
    public var errors: Int
    /// Their mean latency in ms; nil without calls.
    public var avgMs: Double?
    /// Latency percentiles in ms; nil without calls.
    public var p50Ms: Double?
    public var p90Ms: Double?
    public var p95Ms: Double?
    public var p99Ms: Double?
    /// Calls per second over the window.
    public var callsPerSecond: Double
    /// Calls in flight now.
    public var inFlight: Int

    /// Percent of calls that failed; nil without calls.
    public var errorRate: Double? { calls > 0 ? Double(errors) * 100 / Double(calls) : nil }
    /// Percent of calls that succeeded; nil without calls.
    public var successRate: Double? { calls > 0 ? Double(calls - errors) * 100 / Double(calls) : nil }
}

extension MetricsStore {
    /// Call figures over a window, for all calls together and for each target.
    ///
    /// Counts, errors and means over a time window are exact (per-second counts). Latency percentiles over a time
    /// window come from the newest calls within it, at most ``AlertRule/maxCallWindow`` per target (all of them
    /// for a quiet target, the most recent for a busy one); over all calls they come from per-second log buckets
    /// (within 12 %).
    /// - Parameter targets: whether to compute each target's figures (false: only all calls).
    public func windowStatistics(_ window: AlertRule.Window, targets includeTargets: Bool = true) -> (all: WindowStatistics, targets: [WindowStatistics]) {
        let now = clock.now()
        let current = second(of: now)
        let uptime = max(1, Double(now.nanoseconds(since: startInstant)) / 1e9)
        // A copy is a handful of retains; computing outside the lock keeps the relay's record() from waiting on it.
        let copy = state.withLock { $0 }
        var scratch: [UInt32] = []
        scratch.reserveCapacity(AlertRule.maxCallWindow)
        var all: WindowStatistics
        switch window {
        case .seconds(let seconds):
            let span = max(1, min(seconds, copy.seconds.capacity))
            let totals = copy.seconds.totals(endingAt: current, seconds: span)
            var buckets = LatencyBuckets()
            let first = current >= UInt32(span - 1) ? current - UInt32(span - 1) : 0
            for s in first...current { Self.addLatency(of: s, from: copy, into: &buckets) }
            let ms = { (p: Double) in buckets.value(atPercentile: p).map { $0 / 1_000 } }
            all = WindowStatistics(
                method: "", name: nil, calls: Int(totals.calls), errors: Int(totals.errors),
                avgMs: totals.calls > 0 ? Double(totals.sumMicros) / Double(totals.calls) / 1_000 : nil,
                p50Ms: ms(50), p90Ms: ms(90), p95Ms: ms(95), p99Ms: ms(99),
                callsPerSecond: Double(totals.calls) / min(Double(span), uptime), inFlight: 0)
        case .calls(let n):
            all = Self.callWindow(copy.recent, n, method: "", name: nil, scratch: &scratch)
        }
        var perTarget: [WindowStatistics] = []
        if includeTargets {
            perTarget.reserveCapacity(copy.targets.count)
            // Borrowed in place: a `for stats in` loop would retain a dozen buffers per target.
            copy.targets.withUnsafeBufferPointer { targets in
                for i in targets.indices {
                    all.inFlight += targets[i].inFlight
                    var w: WindowStatistics
                    let name = targets[i].key.target ?? targets[i].key.method
                    switch window {
                    case .seconds(let seconds):
                        let lastSecond = targets[i].lastUsed.map { second(of: $0) }
                        w = Self.timeWindow(targets[i], seconds: seconds, current: current, lastSecond: lastSecond, uptime: uptime,
                                            name: name, scratch: &scratch)
                    case .calls(let n):
                        w = Self.callWindow(targets[i].recent, n, method: targets[i].key.method, name: name, scratch: &scratch)
                    }
                    w.inFlight = targets[i].inFlight
                    perTarget.append(w)
                }
            }
        } else {
            for stats in copy.targets { all.inFlight += stats.inFlight }
        }
        return (all, perTarget)
    }

    /// Anomalies counted over the last `seconds` seconds (at most 15 minutes).
    public func anomalies(lastSeconds seconds: Int) -> Int {
        let current = second(of: clock.now())
        return state.withLock { Int($0.anomalySeconds.totals(endingAt: current, seconds: seconds).calls) }
    }

    private static func timeWindow(_ stats: TargetStats, seconds: Int, current: UInt32, lastSecond: UInt32?, uptime: Double,
                                   name: String, scratch: inout [UInt32]) -> WindowStatistics {
        let span = max(1, min(seconds, stats.seconds.capacity))
        let first = current >= UInt32(span - 1) ? current - UInt32(span - 1) : 0
        var calls: UInt64 = 0, errors: UInt64 = 0, sum: UInt64 = 0
        // Walk only the window's seconds, not the whole hour-long ring; a tool idle since before the window costs nothing.
        if let lastSecond, lastSecond >= first {
            stats.seconds.forEach(from: first, through: current) { slot in
                calls += UInt64(slot.calls)
                errors += UInt64(slot.errors)
                sum += slot.sumMicros
            }
        }
        scratch.removeAll(keepingCapacity: true)
        if calls > 0 { _ = stats.recent.appendNewest(AlertRule.maxCallWindow, since: first, into: &scratch) }
        let p = percentiles(&scratch)
        return WindowStatistics(
            method: stats.key.method, name: name, calls: Int(calls), errors: Int(errors),
            avgMs: calls > 0 ? Double(sum) / Double(calls) / 1_000 : nil,
            p50Ms: p.p50, p90Ms: p.p90, p95Ms: p.p95, p99Ms: p.p99,
            callsPerSecond: Double(calls) / min(Double(span), uptime), inFlight: 0)
    }

    private static func callWindow(_ recent: RecentOutcomes, _ n: Int, method: String, name: String?,
                                   scratch: inout [UInt32]) -> WindowStatistics {
        scratch.removeAll(keepingCapacity: true)
        let (_, errors, sum, newest, oldest) = recent.appendNewest(min(n, AlertRule.maxCallWindow), since: 0, into: &scratch)
        let calls = scratch.count
        let p = percentiles(&scratch)
        return WindowStatistics(
            method: method, name: name, calls: calls, errors: errors,
            avgMs: calls > 0 ? Double(sum) / Double(calls) / 1_000 : nil,
            p50Ms: p.p50, p90Ms: p.p90, p95Ms: p.p95, p99Ms: p.p99,
            callsPerSecond: calls > 0 ? Double(calls) / Double(newest - oldest + 1) : 0, inFlight: 0)
    }

    /// Nearest-rank percentiles in ms of durations in µs (reorders `values`).
    ///
    /// Four selections (quickselect, each on the part right of the previous rank) instead of a sort: a tick reads
    /// percentiles of up to 256 calls for each of 1,000 targets and each window.
    static func percentiles(_ values: inout [UInt32]) -> (p50: Double?, p90: Double?, p95: Double?, p99: Double?) {
        let n = values.count
        guard n > 0 else { return (nil, nil, nil, nil) }
        func rank(_ p: Double) -> Int { max(1, Int((p / 100 * Double(n)).rounded(.up))) - 1 }
        return values.withUnsafeMutableBufferPointer { buffer in
            // Each selection works right of the previous rank, whose left part is already all smaller.
            func at(_ k: Int, from low: Int) -> Double {
                select(buffer, low: low, high: n - 1, k: k)
                return Double(buffer[k]) / 1_000
            }
            let (r50, r90, r95, r99) = (rank(50), rank(90), rank(95), rank(99))
            return (at(r50, from: 0), at(r90, from: r50), at(r95, from: r90), at(r99, from: r95))
        }
    }

    /// Puts the k-th smallest of `a[low...high]` at `k`, smaller ones before it, larger ones after.
    static func select(_ a: UnsafeMutableBufferPointer<UInt32>, low: Int, high: Int, k: Int) {
        var low = low, high = high
        while high > low {
            // Median of three as pivot: sorted or constant input stays linear.
            let mid = low + (high - low) / 2
            if a[mid] < a[low] { a.swapAt(mid, low) }
            if a[high] < a[low] { a.swapAt(high, low) }
            if a[high] < a[mid] { a.swapAt(high, mid) }
            let pivot = a[mid]
            var i = low, j = high
            while i <= j {
                while a[i] < pivot { i += 1 }
                while a[j] > pivot { j -= 1 }
                if i <= j {
                    a.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if k <= j { high = j } else if k >= i { low = i } else { return }
        }
    }
}
