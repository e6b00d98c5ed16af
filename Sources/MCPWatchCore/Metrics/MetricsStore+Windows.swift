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
            for s in first...current {
                let slot = Int(s % UInt32(copy.latencyBySecond.count))
                if copy.latencySecondStamp[slot] == s { buckets.add(copy.latencyBySecond[slot]) }
            }
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
            for stats in copy.targets {
                all.inFlight += stats.inFlight
                var w: WindowStatistics
                let name = stats.key.target ?? stats.key.method
                switch window {
                case .seconds(let seconds):
                    w = Self.timeWindow(stats, seconds: seconds, current: current, uptime: uptime, name: name, scratch: &scratch)
                case .calls(let n):
                    w = Self.callWindow(stats.recent, n, method: stats.key.method, name: name, scratch: &scratch)
                }
                w.inFlight = stats.inFlight
                perTarget.append(w)
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

    private static func timeWindow(_ stats: TargetStats, seconds: Int, current: UInt32, uptime: Double, name: String,
                                   scratch: inout [UInt32]) -> WindowStatistics {
        let span = max(1, min(seconds, stats.seconds.capacity))
        let first = current >= UInt32(span - 1) ? current - UInt32(span - 1) : 0
        var calls: UInt64 = 0, errors: UInt64 = 0, sum: UInt64 = 0
        // Walk only the window's seconds, not the whole hour-long ring.
        if stats.lastUsed != nil {
            for s in first...current {
                let slot = stats.seconds.slot(second: s)
                calls += UInt64(slot.calls)
                errors += UInt64(slot.errors)
                sum += slot.sumMicros
            }
        }
        scratch.removeAll(keepingCapacity: true)
        if calls > 0 {
            stats.recent.forEachNewest(AlertRule.maxCallWindow) { micros, _, second in
                guard second >= first else { return false }
                scratch.append(micros)
                return true
            }
        }
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
        var errors = 0, sum: UInt64 = 0
        var newest: UInt32 = 0, oldest: UInt32 = 0
        recent.forEachNewest(min(n, AlertRule.maxCallWindow)) { micros, failed, second in
            if scratch.isEmpty { newest = second }
            oldest = second
            scratch.append(micros)
            sum += UInt64(micros)
            if failed { errors += 1 }
            return true
        }
        let calls = scratch.count
        let p = percentiles(&scratch)
        return WindowStatistics(
            method: method, name: name, calls: calls, errors: errors,
            avgMs: calls > 0 ? Double(sum) / Double(calls) / 1_000 : nil,
            p50Ms: p.p50, p90Ms: p.p90, p95Ms: p.p95, p99Ms: p.p99,
            callsPerSecond: calls > 0 ? Double(calls) / Double(newest - oldest + 1) : 0, inFlight: 0)
    }

    /// Nearest-rank percentiles in ms of durations in µs (sorts `values`).
    static func percentiles(_ values: inout [UInt32]) -> (p50: Double?, p90: Double?, p95: Double?, p99: Double?) {
        guard !values.isEmpty else { return (nil, nil, nil, nil) }
        values.sort()
        func at(_ p: Double) -> Double {
            let rank = max(1, Int((p / 100 * Double(values.count)).rounded(.up)))
            return Double(values[rank - 1]) / 1_000
        }
        return (at(50), at(90), at(95), at(99))
    }
}
