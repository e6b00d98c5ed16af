import Foundation

/// One value of one rule for one target at one evaluation.
public struct AlertObservation: Sendable, Equatable {
    /// The target's method, for per-target rules.
    public var method: String?
    /// The target's name, for per-target rules; nil for all calls and system figures.
    public var target: String?
    /// The value; nil when there is no data.
    public var value: Double?
    /// How many calls the value stands on (`Int.max` for figures that are not about calls).
    public var samples: Int
    /// A number that identifies the target within the rule (the store's target index), so that the evaluator
    /// finds the alert without hashing names; nil to identify it by its method and name.
    public var key: Int?

    /// Creates an observation.
    public init(method: String? = nil, target: String? = nil, value: Double?, samples: Int = .max, key: Int? = nil) {
        self.method = method
        self.target = target
        self.value = value
        self.samples = samples
        self.key = key
    }

    var trackKey: AlertEvaluator.TrackKey {
        key.map { .index($0) } ?? .name(AlertEvaluator.alertID(rule: "", method: method, target: target))
    }
}

/// The alert state machine: fed one rule's observations per evaluation, it moves each (rule, target) alert through
/// inactive, pending, firing (escalating and de-escalating) and resolved, and returns the transitions.
///
/// No I/O and no clock of its own: the caller passes the time, so every transition is tested without sleeping.
public struct AlertEvaluator: Sendable {
    /// The rules, in order.
    public let rules: [AlertRule]
    /// How many transitions the history keeps.
    public let historyLimit: Int
    /// How long a resolved alert stays in the list of active ones (seconds).
    public var resolvedRetentionSeconds: Double = 900

    /// How an alert is found among its rule's alerts.
    public enum TrackKey: Hashable, Sendable {
        case index(Int)
        case name(String)
    }

    struct Tracked: Sendable {
        var alert: Alert
        var pendingSince: MonotonicInstant
        var clearSince: MonotonicInstant?
        var resolvedInstant: MonotonicInstant?
        var seenTick: UInt64
    }

    /// Per rule: alerts that are not inactive.
    private var tracked: [[TrackKey: Tracked]]
    /// The history and the event numbering, apart from `tracked` so both can be updated in place at once.
    struct EventLog: Sendable {
        var history: [AlertEvent] = []
        var historyStart = 0
        var sequence: UInt64 = 0
        let historyLimit: Int
    }

    private var log: EventLog
    private var tick: UInt64 = 0

    /// Creates an evaluator.
    public init(rules: [AlertRule], historyLimit: Int = 1_000) {
        self.rules = rules
        self.historyLimit = max(1, historyLimit)
        log = EventLog(historyLimit: max(1, historyLimit))
        tracked = Array(repeating: [:], count: rules.count)
    }

    /// Starts an evaluation: call once before feeding the rules' observations.
    public mutating func beginTick() { tick &+= 1 }

    /// Feeds one rule's observations for this evaluation and returns the transitions they cause.
    ///
    /// Alerts of the rule that no observation names (a target that went away, a figure with no data) are treated
    /// as having no data: pending ones end, firing ones resolve after the resolve delay.
    public mutating func evaluate(rule index: Int, observations: [AlertObservation], now: MonotonicInstant, wallNow: Date) -> [AlertEvent] {
        var events: [AlertEvent] = []
        evaluate(rule: index, observations: observations, now: now, wallNow: wallNow, events: &events)
        return events
    }

    /// Whether a rule has no alert at all (so that callers can skip figures that breach nothing).
    @inline(__always)
    public func hasNoAlerts(rule index: Int) -> Bool { tracked[index].isEmpty }

    /// Whether a rule has an alert for the target with this key.
    @inline(__always)
    public func isTracked(rule index: Int, key: Int) -> Bool { tracked[index][.index(key)] != nil }

    /// Feeds one rule's observations, appending the transitions to `events`.
    public mutating func evaluate(rule index: Int, observations: [AlertObservation], now: MonotonicInstant, wallNow: Date,
                                  events: inout [AlertEvent]) {
        let rule = rules[index]
        guard rule.enabled else { return }
        var seen = 0
        for observation in observations {
            let valid = observation.value != nil && observation.samples >= rule.minimumSamples
            let raw = valid ? rule.severity(of: observation.value!) : nil
            // The common case: nothing breaches and nothing of this rule is tracked.
            if raw == nil && tracked[index].isEmpty { continue }
            let key = observation.trackKey
            if tracked[index][key] == nil {
                guard raw != nil else { continue }
                let id = Self.alertID(rule: rule.name, method: observation.method, target: observation.target)
                tracked[index][key] = Tracked(
                    alert: Alert(id: id, rule: rule.name, metric: rule.metric, method: observation.method, target: observation.target,
                                 state: .inactive, summary: ""),
                    pendingSince: now, seenTick: tick)
            }
            seen += 1
            // In place: no copy of the alert per evaluation.
            let keep = Self.update(&tracked[index][key]!, tick: tick, rule: rule, value: valid ? observation.value : nil, raw: raw,
                                   now: now, wallNow: wallNow, retention: resolvedRetentionSeconds, events: &events, log: &log)
            if !keep { tracked[index][key] = nil }
        }
        guard seen < tracked[index].count else { return }
        for key in Array(tracked[index].keys) where tracked[index][key]!.seenTick != tick {
            let keep = Self.update(&tracked[index][key]!, tick: tick, rule: rule, value: nil, raw: nil, now: now, wallNow: wallNow,
                                   retention: resolvedRetentionSeconds, events: &events, log: &log)
            if !keep { tracked[index][key] = nil }
        }
    }

    /// Steps one alert; returns whether it stays tracked.
    private static func update(_ item: inout Tracked, tick: UInt64, rule: AlertRule, value: Double?, raw: AlertSeverity?, now: MonotonicInstant,
                               wallNow: Date, retention: Double, events: inout [AlertEvent], log: inout EventLog) -> Bool {
        item.seenTick = tick
        step(&item, rule: rule, value: value, raw: raw, now: now, wallNow: wallNow, events: &events, log: &log)
        switch item.alert.state {
        case .inactive: return false
        case .resolved: return Double(now.nanoseconds(since: item.resolvedInstant ?? now)) / 1e9 < retention
        default: return true
        }
    }

    private static func step(_ item: inout Tracked, rule: AlertRule, value: Double?, raw: AlertSeverity?,
                             now: MonotonicInstant, wallNow: Date, events: inout [AlertEvent], log: inout EventLog) {
        if let value { item.alert.value = value }
        switch item.alert.state {
        case .inactive, .resolved:
            guard let severity = raw, let value else { return }
            item.alert.startedAt = wallNow
            item.alert.firedAt = nil
            item.alert.resolvedAt = nil
            item.alert.valueWhenFired = nil
            item.alert.worstValue = value
            item.alert.severity = severity
            item.pendingSince = now
            item.clearSince = nil
            item.resolvedInstant = nil
            if rule.forSeconds <= 0 {
                fire(&item, rule: rule, severity: severity, value: value, wallNow: wallNow, events: &events, log: &log)
            } else {
                transition(&item, to: .pending, kind: .pending, rule: rule, severity: severity, previous: nil, value: value, wallNow: wallNow, events: &events, log: &log)
            }
        case .pending:
            guard let severity = raw, let value else {
                transition(&item, to: .inactive, kind: .cancelled, rule: rule, severity: item.alert.severity, previous: nil,
                           value: value, wallNow: wallNow, events: &events, log: &log)
                return
            }
            item.alert.severity = severity
            item.alert.worstValue = worse(item.alert.worstValue, value, rule)
            item.alert.threshold = rule.threshold(for: severity)
            if Double(now.nanoseconds(since: item.pendingSince)) / 1e9 >= rule.forSeconds {
                fire(&item, rule: rule, severity: severity, value: value, wallNow: wallNow, events: &events, log: &log)
            }
        case .firing:
            let current = item.alert.severity ?? .warning
            if let value { item.alert.worstValue = worse(item.alert.worstValue, value, rule) }
            if let raw, raw > current, let value {
                item.clearSince = nil
                transition(&item, to: .firing, kind: .escalated, rule: rule, severity: raw, previous: current, value: value, wallNow: wallNow, events: &events, log: &log)
            } else if let value, rule.holds(current, value: value) {
                item.clearSince = nil
            } else {
                let since = item.clearSince ?? now
                item.clearSince = since
                guard Double(now.nanoseconds(since: since)) / 1e9 >= rule.resolveDelaySeconds else { return }
                if current == .critical, let value, rule.holds(.warning, value: value) {
                    item.clearSince = nil
                    transition(&item, to: .firing, kind: .deescalated, rule: rule, severity: .warning, previous: current, value: value, wallNow: wallNow, events: &events, log: &log)
                } else {
                    item.alert.resolvedAt = wallNow
                    item.resolvedInstant = now
                    transition(&item, to: .resolved, kind: .resolved, rule: rule, severity: current, previous: nil, value: value, wallNow: wallNow, events: &events, log: &log)
                }
            }
        }
    }

    private static func fire(_ item: inout Tracked, rule: AlertRule, severity: AlertSeverity, value: Double, wallNow: Date,
                             events: inout [AlertEvent], log: inout EventLog) {
        item.alert.firedAt = wallNow
        item.alert.valueWhenFired = value
        item.clearSince = nil
        transition(&item, to: .firing, kind: .firing, rule: rule, severity: severity, previous: nil, value: value, wallNow: wallNow, events: &events, log: &log)
    }

    private static func transition(_ item: inout Tracked, to state: Alert.State, kind: AlertEvent.Kind, rule: AlertRule,
                                   severity: AlertSeverity?, previous: AlertSeverity?, value: Double?, wallNow: Date,
                                   events: inout [AlertEvent], log: inout EventLog) {
        let from = item.alert.state
        item.alert.state = state
        item.alert.severity = severity
        item.alert.threshold = severity.flatMap(rule.threshold(for:))
        let shown = value ?? item.alert.value
        let summary: String
        if let severity, let shown {
            summary = (kind == .resolved || kind == .cancelled ? "resolved: " : "") + rule.summaryText(target: item.alert.target, value: shown, severity: severity)
        } else {
            summary = "\(rule.name): no data"
        }
        if kind != .resolved && kind != .cancelled { item.alert.summary = summary }
        log.sequence &+= 1
        let event = AlertEvent(
            sequence: log.sequence, at: wallNow, kind: kind, alertId: item.alert.id, rule: rule.name, metric: rule.metric,
            method: item.alert.method, target: item.alert.target, from: from, to: state, severity: severity,
            previousSeverity: previous, value: value, threshold: item.alert.threshold, summary: summary)
        events.append(event)
        if log.history.count < log.historyLimit {
            log.history.append(event)
        } else {
            log.history[log.historyStart] = event
            log.historyStart = (log.historyStart + 1) % log.historyLimit
        }
    }

    /// Adds an event that no rule made (a circuit breaker's transition) to the history, numbered after the
    /// others; returns it as numbered.
    public mutating func record(external event: AlertEvent) -> AlertEvent {
        var event = event
        log.sequence &+= 1
        event.sequence = log.sequence
        if log.history.count < log.historyLimit {
            log.history.append(event)
        } else {
            log.history[log.historyStart] = event
            log.historyStart = (log.historyStart + 1) % log.historyLimit
        }
        return event
    }

    private static func worse(_ a: Double?, _ b: Double, _ rule: AlertRule) -> Double {
        guard let a else { return b }
        return rule.comparison.higherIsWorse ? max(a, b) : min(a, b)
    }

    /// How many alerts are pending, firing or recently resolved.
    public var trackedCount: Int { tracked.reduce(0) { $0 + $1.count } }

    /// Pending, firing and recently resolved alerts: firing first, critical first, then by id.
    public var alerts: [Alert] {
        var all: [Alert] = []
        for (i, rule) in rules.enumerated() {
            for item in tracked[i].values {
                var alert = item.alert
                // The summary follows the latest value while pending or firing (kept out of the evaluation itself).
                if alert.state == .pending || alert.state == .firing, let value = alert.value, let severity = alert.severity {
                    alert.summary = rule.summaryText(target: alert.target, value: value, severity: severity)
                }
                all.append(alert)
            }
        }
        func rank(_ a: Alert) -> Int {
            switch a.state {
            case .firing: a.severity == .critical ? 0 : 1
            case .pending: 2
            case .resolved: 3
            case .inactive: 4
            }
        }
        return all.sorted { rank($0) != rank($1) ? rank($0) < rank($1) : $0.id < $1.id }
    }

    /// The history, newest first.
    public var events: [AlertEvent] {
        var ordered = Array(log.history[log.historyStart...])
        ordered += log.history[..<log.historyStart]
        return ordered.reversed()
    }

    /// An alert's id: the rule's name, then the method and target for per-target rules.
    public static func alertID(rule: String, method: String?, target: String?) -> String {
        guard let target else { return rule }
        return "\(rule):\(method ?? ""):\(target)"
    }
}
