import Foundation

/// What traffic control did, as `/api/traffic`, the report's `traffic` and the dashboard's Traffic view show it:
/// kept apart from the server's own figures (``Report/targets`` counts only what reached the server).
///
/// Encoded with ``Report/encoder(pretty:)`` (snake_case keys, milliseconds, percent).
public struct TrafficReport: Codable, Sendable, Equatable {
    /// What is switched on (from the configuration).
    public var policy: PolicySummary?
    /// The queue now.
    public var queue: QueueReport
    /// Answers mcpwatch gave instead of the server, by outcome, over every target (every outcome, zeros included).
    public var answered: [String: UInt64]
    /// Calls let through to the server.
    public var admitted: UInt64
    /// Late answers dropped after a timeout.
    public var lateAnswersDropped: UInt64
    /// The response cache.
    public var cache: CacheReport
    /// Each breaker's state, by name.
    public var breakers: [BreakerReport]
    /// The last breaker transitions, newest first.
    public var transitions: [BreakerTransition]
    /// Per (method, target) that traffic control acted on, the busiest first.
    public var targets: [TargetTrafficReport]

    /// What the `traffic:` section switches on.
    public struct PolicySummary: Codable, Sendable, Equatable {
        /// Calls in flight at the server at once (null: no limit).
        public var maxConcurrency: Int?
        /// Calls that may wait.
        public var queueMaxSize: Int
        /// How long one may wait, in milliseconds (null: as long as it takes).
        public var queueTimeoutMs: Double?
        /// Time the server has to answer, in milliseconds (null: no timeout).
        public var timeoutMs: Double?
        /// Whether the response cache is on.
        public var cache: Bool
        /// Whether any rate limit is set.
        public var rateLimits: Bool
        /// Tools and methods with settings of their own.
        public var tools: [String]
        /// Methods with settings of their own.
        public var methods: [String]
    }

    /// The queue now.
    public struct QueueReport: Codable, Sendable, Equatable {
        /// Calls waiting for a slot.
        public var depth: Int
        /// The most that waited at once.
        public var depthPeak: Int
        /// Calls let through and not yet answered.
        public var inFlight: Int
        /// How long calls waited for a slot, over every target.
        public var wait: LatencySummary
    }

    /// The response cache's counters and sizes.
    public struct CacheReport: Codable, Sendable, Equatable {
        /// Lookups answered from the cache.
        public var hits: UInt64
        /// Lookups that found nothing fresh.
        public var misses: UInt64
        /// Hits over lookups, in percent (null before the first lookup).
        public var hitRate: Double?
        /// Responses stored.
        public var stores: UInt64
        /// Entries dropped to stay within the bounds.
        public var evictions: UInt64
        /// Entries dropped by notifications.
        public var invalidations: UInt64
        /// Entries dropped as stale.
        public var expirations: UInt64
        /// Entries held.
        public var entries: Int
        /// Bytes held.
        public var bytes: Int
    }

    /// One breaker.
    public struct BreakerReport: Codable, Sendable, Equatable {
        /// `server`, `tool:NAME` or `method:NAME`.
        public var name: String
        /// Its state now.
        public var state: BreakerState
        /// Times it opened since the start.
        public var opened: UInt64
    }

    /// Builds the report of a snapshot.
    /// - Parameter policy: the policy in force, for ``policy``.
    public init(_ snapshot: TrafficStats.Snapshot, policy: TrafficPolicy? = nil) {
        self.policy = policy.map(PolicySummary.init)
        var wait = DurationBuckets()
        for figures in snapshot.targets.values { wait.add(figures.queueWait) }
        queue = QueueReport(depth: snapshot.queueDepth, depthPeak: snapshot.queueDepthPeak, inFlight: snapshot.inFlight,
                            wait: wait.summary)
        let totals = snapshot.answered
        answered = Dictionary(uniqueKeysWithValues: TrafficOutcome.allCases.map { ($0.rawValue, totals[$0] ?? 0) })
        admitted = snapshot.targets.values.reduce(0) { $0 &+ $1.admitted }
        lateAnswersDropped = snapshot.targets.values.reduce(0) { $0 &+ $1.lateAnswersDropped }
        let c = snapshot.cache
        cache = CacheReport(hits: c.hits, misses: c.misses, hitRate: snapshot.cacheHitRatePercent, stores: c.stores,
                            evictions: c.evictions, invalidations: c.invalidations, expirations: c.expirations,
                            entries: c.entries, bytes: c.bytes)
        breakers = snapshot.breakers.sorted { $0.key < $1.key }.map {
            BreakerReport(name: $0.key, state: $0.value, opened: snapshot.transitionCounts[$0.key]?[.open] ?? 0)
        }
        transitions = snapshot.transitions.reversed()
        targets = snapshot.targets.map { TargetTrafficReport(key: $0.key, figures: $0.value) }.sorted {
            $0.touched != $1.touched ? $0.touched > $1.touched : ($0.method, $0.target ?? "") < ($1.method, $1.target ?? "")
        }
    }
}

/// What traffic control did for one (method, target), beside the server's own latency for the same target.
public struct TargetTrafficReport: Codable, Sendable, Equatable {
    /// The method.
    public var method: String
    /// The tool, prompt or resource.
    public var target: String?
    /// Answers mcpwatch gave instead of the server, by outcome (only those that happened).
    public var answered: [String: UInt64]
    /// Calls let through to the server.
    public var admitted: UInt64
    /// Late answers dropped after a timeout.
    public var lateAnswersDropped: UInt64
    /// How long calls waited for a slot.
    public var queueWait: LatencySummary
    /// The latency the client saw (queue wait and mcpwatch's answers included).
    public var clientLatency: LatencySummary
    /// The server's own latency for this target (the round trips that reached it), when known: the comparison
    /// that shows what the queue and the cache changed for the client.
    public var serverLatency: LatencySummary?

    /// Builds one target's report.
    public init(key: TargetKey, figures: TrafficStats.TargetFigures) {
        method = key.method
        target = key.target
        answered = Dictionary(uniqueKeysWithValues: figures.answered.filter { $0.value > 0 }.map { ($0.key.rawValue, $0.value) })
        admitted = figures.admitted
        lateAnswersDropped = figures.lateAnswersDropped
        queueWait = figures.queueWait.summary
        clientLatency = figures.clientLatency.summary
    }

    /// Calls traffic control saw for this target, for ordering.
    var touched: UInt64 { answered.values.reduce(admitted, &+) }
}

extension TrafficReport.PolicySummary {
    /// The summary of a policy.
    public init(_ policy: TrafficPolicy) {
        maxConcurrency = policy.maxConcurrency
        queueMaxSize = policy.queueMaxSize
        queueTimeoutMs = policy.queueTimeout.map { $0.inSeconds * 1_000 }
        timeoutMs = policy.timeout.map { $0.inSeconds * 1_000 }
        cache = policy.cache != nil
        rateLimits = !policy.rateLimits.isEmpty
        tools = policy.tools.keys.sorted()
        methods = policy.methods.keys.sorted()
    }
}

extension TrafficStats {
    /// The report of the figures now, with the server's own latency per target from `store` when given.
    public func report(serverLatency store: MetricsStore? = nil) -> TrafficReport {
        var report = TrafficReport(snapshot(), policy: policy)
        if let store, !report.targets.isEmpty {
            let own = store.report().targets
            var byKey: [TargetKey: TargetReport] = [:]
            for t in own where t.direction == .clientToServer { byKey[TargetKey(method: t.method, target: t.target)] = t }
            for i in report.targets.indices {
                guard let t = byKey[TargetKey(method: report.targets[i].method, target: report.targets[i].target)] else { continue }
                report.targets[i].serverLatency = LatencySummary(avgMs: t.avgMs, minMs: t.minMs, maxMs: t.maxMs, p50Ms: t.p50Ms,
                                                                 p90Ms: t.p90Ms, p95Ms: t.p95Ms, p99Ms: t.p99Ms, p999Ms: t.p999Ms)
            }
        }
        return report
    }
}

extension DurationBuckets {
    /// Mean and percentiles estimated from the buckets (linear within a bucket, as Prometheus'
    /// `histogram_quantile`); min and max are not kept, so they are left null.
    var summary: LatencySummary {
        let total = count
        guard total > 0 else { return LatencySummary() }
        func quantile(_ q: Double) -> Double {
            let rank = q * Double(total)
            var running: UInt64 = 0
            for (i, n) in counts.enumerated() {
                let before = running
                running &+= n
                guard Double(running) >= rank, n > 0 else { continue }
                let lower = i == 0 ? 0 : Double(Self.boundsMicros[i - 1]) / 1_000
                // Above the last bound: the last bound is the best that can be said.
                guard i < Self.boundsMicros.count else { return lower }
                let upper = Double(Self.boundsMicros[i]) / 1_000
                return lower + (upper - lower) * (rank - Double(before)) / Double(n)
            }
            return Double(Self.boundsMicros.last!) / 1_000
        }
        return LatencySummary(avgMs: Double(sumNanos) / Double(total) / 1e6, minMs: nil, maxMs: nil,
                              p50Ms: quantile(0.5), p90Ms: quantile(0.9), p95Ms: quantile(0.95), p99Ms: quantile(0.99),
                              p999Ms: quantile(0.999))
    }
}
