import Foundation
import Synchronization

extension AlertEngine {
    /// The name of the events that circuit breakers' transitions make in the alert history.
    public static let breakerRule = "circuit_breaker"

    /// Records each of `traffic`'s breaker transitions as an event of the alert history (rule `circuit_breaker`),
    /// which `/api/events` streams and the notifiers receive like an alert's transitions; returns the listener's
    /// token (``TrafficStats/removeBreakerListener(_:)``).
    @discardableResult
    public func watch(_ traffic: TrafficStats) -> UInt64 {
        traffic.addBreakerListener { [weak self] transition in _ = self?.record(transition) }
    }

    /// Records one breaker transition in the history and hands it to the listeners; returns the event as numbered.
    ///
    /// As an alert: opening fires (critical), the cool-down's end de-escalates to a warning (half open: probes
    /// decide), a failed probe escalates again, and closing resolves.
    @discardableResult
    public func record(_ transition: BreakerTransition) -> AlertEvent {
        record(external: Self.event(for: transition))
    }

    /// The alert event a breaker transition makes (numbered 0: the history numbers it).
    public static func event(for transition: BreakerTransition) -> AlertEvent {
        func alertState(_ state: BreakerState) -> Alert.State { state == .closed ? .inactive : .firing }
        func severity(_ state: BreakerState) -> AlertSeverity? {
            switch state {
            case .closed: nil
            case .open: .critical
            case .halfOpen: .warning
            }
        }
        let kind: AlertEvent.Kind = switch (transition.from, transition.to) {
        case (.closed, .open): .firing
        case (.halfOpen, .open): .escalated
        case (_, .halfOpen): .deescalated
        case (_, .closed): .resolved
        case (.open, .open): .escalated
        }
        var event = AlertEvent(
            sequence: 0, at: transition.at, kind: kind, alertId: breakerRule + ":" + transition.breaker, rule: breakerRule,
            metric: .circuitBreaker, method: transition.method, target: transition.target,
            from: alertState(transition.from), to: transition.to == .closed ? .resolved : .firing,
            severity: severity(transition.to) ?? severity(transition.from),
            previousSeverity: kind == .escalated || kind == .deescalated ? severity(transition.from) : nil,
            value: transition.value, threshold: transition.threshold, summary: transition.summary)
        event.breaker = transition
        return event
    }
}

extension AlertEngine.Sources {
    /// Sources that feed the rules `cache_hit_rate` and `queue_depth` from traffic control's figures: the queue's
    /// depth now, and the cache's hit rate over the last `hitRateWindow` of evaluations (no data when the cache saw
    /// no lookup in that time, so an idle cache fires nothing).
    /// - Parameters:
    ///   - interval: the time between evaluations, to turn the window into a number of evaluations.
    public static func traffic(_ traffic: TrafficStats?, system: @escaping @Sendable () -> SystemReport? = { nil },
                               interval: Duration, hitRateWindow: Duration = .seconds(300)) -> Self {
        guard let traffic else { return Self(system: system) }
        let evaluations = max(1, Int((hitRateWindow.inSeconds / max(0.001, interval.inSeconds)).rounded()))
        let window = CacheHitRateWindow(evaluations: evaluations)
        return Self(system: system) { metric in
            switch metric {
            case .queueDepth: return Double(traffic.snapshot().queueDepth)
            case .cacheHitRate: return window.add(traffic.snapshot().cache)
            default: return nil
            }
        }
    }
}

/// The cache's hit rate over the last so many evaluations, from its cumulative counters.
final class CacheHitRateWindow: Sendable {
    let evaluations: Int
    private let samples = Mutex<[(hits: UInt64, misses: UInt64)]>([])

    init(evaluations: Int) { self.evaluations = evaluations }

    /// Adds this evaluation's counters; returns the hit rate in percent since the oldest kept (nil: no lookups).
    func add(_ statistics: ResponseCache.Statistics) -> Double? {
        samples.withLock { samples in
            samples.append((statistics.hits, statistics.misses))
            if samples.count > evaluations + 1 { samples.removeFirst(samples.count - evaluations - 1) }
            // The first evaluation sees the counters since the start.
            let base = samples.count > 1 ? samples[0] : (hits: 0, misses: 0)
            let hits = statistics.hits &- base.hits, misses = statistics.misses &- base.misses
            let lookups = hits &+ misses
            return lookups == 0 ? nil : Double(hits) * 100 / Double(lookups)
        }
    }
}
