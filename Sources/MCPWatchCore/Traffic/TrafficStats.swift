import Synchronization

/// What traffic control did for one server, kept apart from the server's own figures: the answers mcpwatch gave in
/// its place, the queue, the waits, the cache, the breakers and the late answers it dropped.
///
/// The relays' traffic gate records into it (from any thread); `/metrics`, the API, the report, the store, the
/// dashboard's Traffic view and the alert rules `cache_hit_rate` and `queue_depth` read a ``Snapshot``.
/// Bounded: one entry per (method, target) that traffic control acted on, folded into ``TargetKey/folded`` past
/// ``maxTargets``, and the last ``maxTransitions`` breaker transitions.
public final class TrafficStats: Sendable {
    /// Figures for one (method, target).
    public struct TargetFigures: Sendable, Equatable {
        /// Answers mcpwatch gave instead of the server, by outcome.
        public var answered: [TrafficOutcome: UInt64] = [:]
        /// Calls that went on to the server after waiting in the queue (or at once: a wait of zero).
        public var admitted: UInt64 = 0
        /// How long admitted and queued-out calls waited for a slot.
        public var queueWait = DurationBuckets()
        /// The latency the client saw, mcpwatch's answers and the queue's wait included.
        public var clientLatency = DurationBuckets()
        /// Answers from the server that came after mcpwatch had answered with a timeout, and were dropped.
        public var lateAnswersDropped: UInt64 = 0

        /// Nothing recorded.
        public init() {}
    }

    /// Everything at one moment.
    public struct Snapshot: Sendable, Equatable {
        /// Calls waiting for a slot now.
        public var queueDepth = 0
        /// The most that have waited at once since the start.
        public var queueDepthPeak = 0
        /// Calls traffic control has let through to the server and not yet seen answered.
        public var inFlight = 0
        /// Per (method, target).
        public var targets: [TargetKey: TargetFigures] = [:]
        /// The response cache's counters and sizes (zero when the cache is off).
        public var cache = ResponseCache.Statistics()
        /// Each breaker's state now: `server`, `tool:NAME`, `method:NAME`.
        public var breakers: [String: BreakerState] = [:]
        /// The last transitions, oldest first.
        public var transitions: [BreakerTransition] = []

        /// Answers by outcome over every target.
        public var answered: [TrafficOutcome: UInt64] {
            var total: [TrafficOutcome: UInt64] = [:]
            for figures in targets.values { for (outcome, n) in figures.answered { total[outcome, default: 0] &+= n } }
            return total
        }

        /// Cache hits over hits and misses, in percent (nil before the first lookup).
        public var cacheHitRatePercent: Double? {
            let lookups = cache.hits &+ cache.misses
            return lookups == 0 ? nil : Double(cache.hits) * 100 / Double(lookups)
        }
    }

    /// Targets kept apart before the rest fold into ``TargetKey/folded``.
    public let maxTargets: Int
    /// Breaker transitions kept.
    public let maxTransitions: Int
    private let state: Mutex<Snapshot>

    /// Empty figures.
    public init(maxTargets: Int = 1_000, maxTransitions: Int = 200) {
        self.maxTargets = maxTargets
        self.maxTransitions = maxTransitions
        state = Mutex(Snapshot())
    }

    /// mcpwatch answered a call itself (cached, rejected, queued out, timed out, circuit open, rate limited).
    /// - Parameters:
    ///   - waited: the time it spent in the queue first (zero when it never waited).
    ///   - clientLatency: from the request's arrival to mcpwatch's answer.
    public func answered(_ outcome: TrafficOutcome, _ key: TargetKey, waited: Duration = .zero, clientLatency: Duration) {
        state.withLock { snapshot in
            update(&snapshot, key) { figures in
                figures.answered[outcome, default: 0] &+= 1
                if waited > .zero || outcome == .queuedOut { figures.queueWait.add(waited) }
                figures.clientLatency.add(clientLatency)
            }
        }
    }

    /// A call went on to the server, after `waited` in the queue (zero when a slot was free).
    public func admitted(_ key: TargetKey, waited: Duration) {
        state.withLock { snapshot in
            update(&snapshot, key) { figures in
                figures.admitted &+= 1
                figures.queueWait.add(waited)
            }
        }
    }

    /// The server answered a call that traffic control let through: the latency the client saw, queue wait included.
    public func completed(_ key: TargetKey, clientLatency: Duration) {
        state.withLock { snapshot in
            update(&snapshot, key) { $0.clientLatency.add(clientLatency) }
        }
    }

    /// The server answered a call after mcpwatch had answered it with a timeout; the answer was dropped.
    public func lateAnswerDropped(_ key: TargetKey) {
        state.withLock { snapshot in update(&snapshot, key) { $0.lateAnswersDropped &+= 1 } }
    }

    /// The queue's depth and the calls in flight changed.
    public func queueChanged(depth: Int, inFlight: Int) {
        state.withLock { snapshot in
            snapshot.queueDepth = depth
            snapshot.inFlight = inFlight
            snapshot.queueDepthPeak = max(snapshot.queueDepthPeak, depth)
        }
    }

    /// The cache's counters after a lookup, a store, an eviction or an invalidation.
    public func cacheChanged(_ statistics: ResponseCache.Statistics) {
        state.withLock { $0.cache = statistics }
    }

    /// A breaker changed state.
    public func breakerChanged(_ transition: BreakerTransition) {
        state.withLock { snapshot in
            snapshot.breakers[transition.breaker] = transition.to
            snapshot.transitions.append(transition)
            if snapshot.transitions.count > maxTransitions {
                snapshot.transitions.removeFirst(snapshot.transitions.count - maxTransitions)
            }
        }
    }

    /// Registers a breaker in its first state (closed), so that `/metrics` shows it before its first transition.
    public func breakerAdded(_ breaker: String, state initial: BreakerState = .closed) {
        state.withLock { snapshot in
            if snapshot.breakers[breaker] == nil { snapshot.breakers[breaker] = initial }
        }
    }

    /// Everything now.
    public func snapshot() -> Snapshot { state.withLock { $0 } }

    private func update(_ snapshot: inout Snapshot, _ key: TargetKey, _ body: (inout TargetFigures) -> Void) {
        var key = key
        if snapshot.targets[key] == nil && snapshot.targets.count >= maxTargets { key = .folded }
        body(&snapshot.targets[key, default: TargetFigures()])
    }
}

extension DurationBuckets {
    /// Counts one duration.
    mutating func add(_ duration: Duration) {
        let nanos = UInt64(max(0, duration.inNanoseconds))
        add(micros: nanos / 1_000, nanos: nanos)
    }
}
