import Foundation

/// A circuit breaker for a server, a tool or a method: closed → open (N failures in a row, or an error rate over a
/// threshold with at least M calls in a window) → after a cool-down half-open (a few probe calls go through) →
/// closed when they all succeed, open again when one fails.
///
/// A pure state machine with an injected clock: the relay asks ``admit()`` before sending a call, and reports the
/// call's end with ``record(success:admission:)``; each change of state comes back as a ``BreakerTransition``.
/// What counts as a failure is the relay's to say (a server error or a timeout; not a client's invalid params).
public struct CircuitBreaker: Sendable {
    /// What the breaker says about a call.
    public enum Admission: Sendable, Equatable {
        /// Closed: send it.
        case allowed
        /// Half-open: send it as one of the probe calls.
        case probe
        /// Open (or half-open with every probe taken): answer at once; probes may go after `retryAfter`.
        case rejected(retryAfter: Duration)
    }

    /// The breaker's name: `server`, `tool:NAME` or `method:NAME`.
    public let name: String
    /// Its settings.
    public let settings: TrafficPolicy.BreakerSettings
    /// Where it is.
    public private(set) var state: BreakerState = .closed
    private let clock: any WatchClock
    private var consecutiveFailures = 0
    private var slices: [Slice]
    private let sliceNanoseconds: UInt64
    private var openedAt = MonotonicInstant(nanoseconds: 0)
    private var probesSent = 0
    private var probesSucceeded = 0
    private var sequence: UInt64 = 0

    private struct Slice: Sendable {
        var index: UInt64 = .max
        var calls = 0
        var failures = 0
    }

    private static let sliceCount = 10

    /// Creates a closed breaker.
    public init(name: String, settings: TrafficPolicy.BreakerSettings, clock: any WatchClock) {
        self.name = name
        self.settings = settings
        self.clock = clock
        slices = Array(repeating: Slice(), count: Self.sliceCount)
        sliceNanoseconds = max(1, UInt64(max(1, settings.window.inNanoseconds)) / UInt64(Self.sliceCount))
    }

    /// Whether a call may go to the server now, and the transition to half-open when the cool-down has just ended.
    public mutating func admit() -> (Admission, BreakerTransition?) {
        switch state {
        case .closed:
            return (.allowed, nil)
        case .open:
            let now = clock.now()
            let coolDown = UInt64(max(0, settings.coolDown.inNanoseconds))
            let elapsed = now.nanoseconds(since: openedAt)
            guard elapsed >= coolDown else { return (.rejected(retryAfter: .nanoseconds(Int64(coolDown - elapsed))), nil) }
            probesSent = 1
            probesSucceeded = 0
            let event = transition(to: .halfOpen, reason: .coolDownOver, value: nil, threshold: nil,
                summary: "\(name): cool-down of \(ConfigValueParsing.format(settings.coolDown)) over; letting \(settings.probes) probe call\(settings.probes == 1 ? "" : "s") through")
            return (.probe, event)
        case .halfOpen:
            guard probesSent < settings.probes else { return (.rejected(retryAfter: .seconds(1)), nil) }
            probesSent += 1
            return (.probe, nil)
        }
    }

    /// A call that ``admit()`` let through has ended.
    /// - Parameters:
    ///   - success: whether the server answered it well.
    ///   - admission: what ``admit()`` said for it (calls let through before the breaker opened are not counted
    ///     once it is open).
    public mutating func record(success: Bool, admission: Admission) -> BreakerTransition? {
        switch (state, admission) {
        case (.closed, .allowed):
            return recordClosed(success: success)
        case (.halfOpen, .probe):
            if !success {
                return open(reason: .probeFailed, value: Double(probesSucceeded), threshold: Double(settings.probes),
                            summary: "\(name): a probe call failed; open again for \(ConfigValueParsing.format(settings.coolDown))")
            }
            probesSucceeded += 1
            guard probesSucceeded >= settings.probes else { return nil }
            resetCounts()
            return transition(to: .closed, reason: .probesSucceeded, value: Double(probesSucceeded), threshold: Double(settings.probes),
                              summary: "\(name): \(probesSucceeded) probe call\(probesSucceeded == 1 ? "" : "s") succeeded; closed")
        default:
            return nil
        }
    }

    /// A call that ``admit()`` let through did not go to the server after all (another limit turned it away, or
    /// the client cancelled it while it waited): a probe it held is given back, so a half-open breaker is not left
    /// waiting for an answer that never comes.
    public mutating func release(admission: Admission) {
        if state == .halfOpen, admission == .probe, probesSent > 0 { probesSent -= 1 }
    }

    private mutating func recordClosed(success: Bool) -> BreakerTransition? {
        let index = clock.now().nanoseconds / sliceNanoseconds
        let slot = Int(index % UInt64(Self.sliceCount))
        if slices[slot].index != index { slices[slot] = Slice(index: index) }
        slices[slot].calls += 1
        if success {
            consecutiveFailures = 0
            return nil
        }
        slices[slot].failures += 1
        consecutiveFailures += 1
        if let limit = settings.consecutiveFailures, consecutiveFailures >= limit {
            return open(reason: .consecutiveFailures, value: Double(consecutiveFailures), threshold: Double(limit),
                        summary: "\(name): \(consecutiveFailures) failures in a row (limit \(limit)); open for \(ConfigValueParsing.format(settings.coolDown))")
        }
        if let threshold = settings.errorRatePercent {
            var calls = 0, failures = 0
            for slice in slices where slice.index != .max && slice.index + UInt64(Self.sliceCount) > index {
                calls += slice.calls
                failures += slice.failures
            }
            let rate = Double(failures) * 100 / Double(max(1, calls))
            if calls >= settings.minimumCalls && rate > threshold {
                return open(reason: .errorRate, value: rate, threshold: threshold,
                            summary: "\(name): error rate \(Self.percent(rate)) over \(calls) calls in \(ConfigValueParsing.format(settings.window)) (limit \(Self.percent(threshold))); open for \(ConfigValueParsing.format(settings.coolDown))")
            }
        }
        return nil
    }

    private mutating func open(reason: BreakerTransition.Reason, value: Double, threshold: Double, summary: String) -> BreakerTransition {
        openedAt = clock.now()
        var event = transition(to: .open, reason: reason, value: value, threshold: threshold, summary: summary)
        event.retryAt = event.at.addingTimeInterval(settings.coolDown.inSeconds)
        resetCounts()
        return event
    }

    private mutating func resetCounts() {
        consecutiveFailures = 0
        slices = Array(repeating: Slice(), count: Self.sliceCount)
        probesSent = 0
        probesSucceeded = 0
    }

    private mutating func transition(to next: BreakerState, reason: BreakerTransition.Reason, value: Double?, threshold: Double?,
                                     summary: String) -> BreakerTransition {
        sequence += 1
        let from = state
        state = next
        let parts = name.split(separator: ":", maxSplits: 1).map(String.init)
        let method: String? = parts.count == 2 ? (parts[0] == "tool" ? "tools/call" : parts[1]) : nil
        let target: String? = parts.count == 2 && parts[0] == "tool" ? parts[1] : nil
        return BreakerTransition(sequence: sequence, at: clock.wallNow(), breaker: name, method: method, target: target, from: from, to: next,
                                 reason: reason, value: value, threshold: threshold, summary: summary, retryAt: nil)
    }

    private static func percent(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value))%" : String(format: "%.1f%%", value)
    }
}
