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
        /// Transitions since the start, per breaker and the state it went to (a counter, unlike ``transitions``).
        public var transitionCounts: [String: [BreakerState: UInt64]] = [:]

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
    /// The policy in force, for the views that say what is configured (nil in tests that record figures alone).
    public let policy: TrafficPolicy?
    private let state: Mutex<Snapshot>
    private let breakerListeners = Mutex<[UInt64: @Sendable (BreakerTransition) -> Void]>([:])
    private let nextListener = Atomic<UInt64>(0)

    /// Empty figures.
    /// - Parameter policy: the policy in force; its breakers (server, per tool, per method) are registered closed at
    ///   once, so that `/metrics` and the Traffic view show them before the first call.
    public init(maxTargets: Int = 1_000, maxTransitions: Int = 200, policy: TrafficPolicy? = nil) {
        self.maxTargets = maxTargets
        self.maxTransitions = maxTransitions
        self.policy = policy
        var initial = Snapshot()
        if let policy {
            if policy.breaker != nil { initial.breakers["server"] = .closed }
            for (name, override) in policy.tools where override.breaker != nil { initial.breakers["tool:" + name] = .closed }
            for (name, override) in policy.methods where override.breaker != nil { initial.breakers["method:" + name] = .closed }
        }
        state = Mutex(initial)
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

    /// A breaker changed state: kept, and handed to every breaker listener (the alert history, `/api/events`, the
    /// notifiers), outside the lock.
    public func breakerChanged(_ transition: BreakerTransition) {
        state.withLock { snapshot in
            snapshot.breakers[transition.breaker] = transition.to
            snapshot.transitionCounts[transition.breaker, default: [:]][transition.to, default: 0] &+= 1
            snapshot.transitions.append(transition)
            if snapshot.transitions.count > maxTransitions {
                snapshot.transitions.removeFirst(snapshot.transitions.count - maxTransitions)
            }
        }
        let listeners = breakerListeners.withLock { Array($0.values) }
        for listener in listeners { listener(transition) }
    }

    /// Registers a listener for every breaker transition; returns a token for ``removeBreakerListener(_:)``.
    ///
    /// Listeners run on the thread that recorded the transition (a relay's) and must return at once.
    @discardableResult
    public func addBreakerListener(_ listener: @escaping @Sendable (BreakerTransition) -> Void) -> UInt64 {
        let token = nextListener.add(1, ordering: .relaxed).newValue
        breakerListeners.withLock { $0[token] = listener }
        return token
    }

    /// Removes a breaker listener.
    public func removeBreakerListener(_ token: UInt64) { _ = breakerListeners.withLock { $0.removeValue(forKey: token) } }

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
