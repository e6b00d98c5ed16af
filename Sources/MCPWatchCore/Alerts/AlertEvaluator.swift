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

    /// Creates an observation.
    public init(method: String? = nil, target: String? = nil, value: Double?, samples: Int = .max) {
        self.method = method
        self.target = target
        self.value = value
        self.samples = samples
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

    struct Tracked: Sendable {
        var alert: Alert
        var pendingSince: MonotonicInstant
        var clearSince: MonotonicInstant?
        var resolvedInstant: MonotonicInstant?
        var seenTick: UInt64
    }

    /// Per rule: alerts that are not inactive, by id.
    private var tracked: [[String: Tracked]]
    private var history: [AlertEvent] = []
    private var historyStart = 0
    private var sequence: UInt64 = 0
    private var tick: UInt64 = 0

    /// Creates an evaluator.
    public init(rules: [AlertRule], historyLimit: Int = 1_000) {
        self.rules = rules
        self.historyLimit = max(1, historyLimit)
        tracked = Array(repeating: [:], count: rules.count)
    }

    /// Starts an evaluation: call once before feeding the rules' observations.
    public mutating func beginTick() { tick &+= 1 }

    /// Feeds one rule's observations for this evaluation and returns the transitions they cause.
    ///
    /// Alerts of the rule that no observation names (a target that went away, a figure with no data) are treated
    /// as having no data: pending ones end, firing ones resolve after the resolve delay.
    public mutating func evaluate(rule index: Int, observations: [AlertObservation], now: MonotonicInstant, wallNow: Date) -> [AlertEvent] {
        let rule = rules[index]
        guard rule.enabled else { return [] }
        var events: [AlertEvent] = []
        for observation in observations {
            let valid = observation.value != nil && observation.samples >= rule.minimumSamples
            let raw = valid ? rule.severity(of: observation.value!) : nil
            // The common case: nothing breaches and nothing of this rule is tracked.
            if raw == nil && tracked[index].isEmpty { continue }
            let id = Self.alertID(rule: rule.name, method: observation.method, target: observation.target)
            if raw == nil && tracked[index][id] == nil { continue }
            var item = tracked[index][id] ?? Tracked(
                alert: Alert(id: id, rule: rule.name, metric: rule.metric, method: observation.method, target: observation.target,
                             state: .inactive, summary: ""),
                pendingSince: now, seenTick: tick)
            item.seenTick = tick
            step(&item, rule: rule, value: valid ? observation.value : nil, raw: raw, now: now, wallNow: wallNow, events: &events)
            store(item, rule: index, id: id, now: now)
        }
        for (id, var item) in tracked[index] where item.seenTick != tick {
            item.seenTick = tick
            step(&item, rule: rule, value: nil, raw: nil, now: now, wallNow: wallNow, events: &events)
            store(item, rule: index, id: id, now: now)
        }
        return events
    }

    private mutating func store(_ item: Tracked, rule index: Int, id: String, now: MonotonicInstant) {
        switch item.alert.state {
        case .inactive:
            tracked[index][id] = nil
        case .resolved where Double(now.nanoseconds(since: item.resolvedInstant ?? now)) / 1e9 >= resolvedRetentionSeconds:
            tracked[index][id] = nil
        default:
            tracked[index][id] = item
        }
    }

    private mutating func step(_ item: inout Tracked, rule: AlertRule, value: Double?, raw: AlertSeverity?,
                               now: MonotonicInstant, wallNow: Date, events: inout [AlertEvent]) {
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
                fire(&item, rule: rule, severity: severity, value: value, wallNow: wallNow, events: &events)
            } else {
                transition(&item, to: .pending, kind: .pending, rule: rule, severity: severity, previous: nil, value: value, wallNow: wallNow, events: &events)
            }
        case .pending:
            guard let severity = raw, let value else {
                transition(&item, to: .inactive, kind: .cancelled, rule: rule, severity: item.alert.severity, previous: nil,
                           value: value, wallNow: wallNow, events: &events)
                return
            }
            item.alert.severity = severity
            item.alert.worstValue = worse(item.alert.worstValue, value, rule)
            item.alert.threshold = rule.threshold(for: severity)
            item.alert.summary = rule.summaryText(target: item.alert.target, value: value, severity: severity)
            if Double(now.nanoseconds(since: item.pendingSince)) / 1e9 >= rule.forSeconds {
                fire(&item, rule: rule, severity: severity, value: value, wallNow: wallNow, events: &events)
            }
        case .firing:
            let current = item.alert.severity ?? .warning
            if let value { item.alert.worstValue = worse(item.alert.worstValue, value, rule) }
            if let raw, raw > current, let value {
                item.clearSince = nil
                transition(&item, to: .firing, kind: .escalated, rule: rule, severity: raw, previous: current, value: value, wallNow: wallNow, events: &events)
            } else if let value, rule.holds(current, value: value) {
                item.clearSince = nil
                item.alert.summary = rule.summaryText(target: item.alert.target, value: value, severity: current)
            } else {
                let since = item.clearSince ?? now
                item.clearSince = since
                guard Double(now.nanoseconds(since: since)) / 1e9 >= rule.resolveDelaySeconds else { return }
                if current == .critical, let value, rule.holds(.warning, value: value) {
                    item.clearSince = nil
                    transition(&item, to: .firing, kind: .deescalated, rule: rule, severity: .warning, previous: current, value: value, wallNow: wallNow, events: &events)
                } else {
                    item.alert.resolvedAt = wallNow
                    item.resolvedInstant = now
                    transition(&item, to: .resolved, kind: .resolved, rule: rule, severity: current, previous: nil, value: value, wallNow: wallNow, events: &events)
                }
            }
        }
    }

    private mutating func fire(_ item: inout Tracked, rule: AlertRule, severity: AlertSeverity, value: Double, wallNow: Date, events: inout [AlertEvent]) {
        item.alert.firedAt = wallNow
        item.alert.valueWhenFired = value
        item.clearSince = nil
        transition(&item, to: .firing, kind: .firing, rule: rule, severity: severity, previous: nil, value: value, wallNow: wallNow, events: &events)
    }

    private mutating func transition(_ item: inout Tracked, to state: Alert.State, kind: AlertEvent.Kind, rule: AlertRule,
                                     severity: AlertSeverity?, previous: AlertSeverity?, value: Double?, wallNow: Date,
                                     events: inout [AlertEvent]) {
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
        sequence &+= 1
        let event = AlertEvent(
            sequence: sequence, at: wallNow, kind: kind, alertId: item.alert.id, rule: rule.name, metric: rule.metric,
            method: item.alert.method, target: item.alert.target, from: from, to: state, severity: severity,
            previousSeverity: previous, value: value, threshold: item.alert.threshold, summary: summary)
        events.append(event)
        if history.count < historyLimit {
            history.append(event)
        } else {
            history[historyStart] = event
            historyStart = (historyStart + 1) % historyLimit
        }
    }

    private func worse(_ a: Double?, _ b: Double, _ rule: AlertRule) -> Double {
        guard let a else { return b }
        return rule.comparison.higherIsWorse ? max(a, b) : min(a, b)
    }

    /// Pending, firing and recently resolved alerts: firing first, critical first, then by id.
    public var alerts: [Alert] {
        let all = tracked.flatMap { $0.values.map(\.alert) }
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
        var ordered = Array(history[historyStart...])
        ordered += history[..<historyStart]
        return ordered.reversed()
    }

    /// An alert's id: the rule's name, then the method and target for per-target rules.
    public static func alertID(rule: String, method: String?, target: String?) -> String {
        guard let target else { return rule }
        return "\(rule):\(method ?? ""):\(target)"
    }
}
