import Foundation

/// One alert: a rule applied to one target (or to all calls, or to a system figure), with its lifecycle.
public struct Alert: Codable, Sendable, Equatable {
    /// Where an alert is in its lifecycle.
    public enum State: String, Codable, Sendable, Equatable {
        /// The condition does not hold.
        case inactive
        /// The condition holds, but not yet for the rule's `for` duration.
        case pending
        /// The condition held long enough: people are told.
        case firing
        /// It fired, and the condition has been clear for the rule's resolve delay.
        case resolved
    }

    /// `rule` or `rule:method:target`: stable, one per rule and target.
    public var id: String
    /// The rule's name.
    public var rule: String
    /// The metric watched.
    public var metric: AlertRule.Metric
    /// The target's method, for per-target rules.
    public var method: String?
    /// The target's name (tool, prompt, resource or method), for per-target rules.
    public var target: String?
    /// The state.
    public var state: State
    /// For pending and firing alerts: the severity reached.
    public var severity: AlertSeverity?
    /// The latest value (null when there was no data).
    public var value: Double?
    /// The threshold of the severity.
    public var threshold: Double?
    /// The rule's summary, filled in.
    public var summary: String
    /// When the condition began to hold.
    public var startedAt: Date?
    /// When it fired.
    public var firedAt: Date?
    /// When it resolved.
    public var resolvedAt: Date?
    /// The value when it fired.
    public var valueWhenFired: Double?
    /// The worst value while pending or firing.
    public var worstValue: Double?
}

/// One transition of one alert: what the history keeps, what notifiers and the event stream receive.
public struct AlertEvent: Codable, Sendable, Equatable {
    /// What happened.
    public enum Kind: String, Codable, Sendable, Equatable {
        case pending, firing, escalated, deescalated, resolved, cancelled
    }

    /// Increasing from 1 within a run.
    public var sequence: UInt64
    /// When.
    public var at: Date
    /// What happened.
    public var kind: Kind
    /// The alert's id.
    public var alertId: String
    /// The rule's name.
    public var rule: String
    /// The metric watched.
    public var metric: AlertRule.Metric
    /// The target's method, for per-target rules.
    public var method: String?
    /// The target's name, for per-target rules.
    public var target: String?
    /// The state before.
    public var from: Alert.State
    /// The state after.
    public var to: Alert.State
    /// The severity after (for resolved and cancelled: the last one).
    public var severity: AlertSeverity?
    /// The severity before, for escalations and de-escalations.
    public var previousSeverity: AlertSeverity?
    /// The value that caused the transition.
    public var value: Double?
    /// The threshold of `severity`.
    public var threshold: Double?
    /// The rule's summary, filled in.
    public var summary: String
    /// For the events of circuit breakers (rule `circuit_breaker`): the transition itself.
    public var breaker: BreakerTransition? = nil

    /// Creates an event.
    public init(sequence: UInt64, at: Date, kind: Kind, alertId: String, rule: String, metric: AlertRule.Metric, method: String?,
                target: String?, from: Alert.State, to: Alert.State, severity: AlertSeverity?, previousSeverity: AlertSeverity?,
                value: Double?, threshold: Double?, summary: String) {
        self.sequence = sequence
        self.at = at
        self.kind = kind
        self.alertId = alertId
        self.rule = rule
        self.metric = metric
        self.method = method
        self.target = target
        self.from = from
        self.to = to
        self.severity = severity
        self.previousSeverity = previousSeverity
        self.value = value
        self.threshold = threshold
        self.summary = summary
    }
}

/// What `/api/alerts` serves: the alerts that are pending, firing or recently resolved, and the history.
public struct AlertsReport: Codable, Sendable, Equatable {
    /// When the rules were last evaluated (null before the first evaluation).
    public var evaluatedAt: Date?
    /// Seconds between evaluations.
    public var intervalSeconds: Double
    /// Enabled rules.
    public var rules: [AlertRule]
    /// Pending, firing and recently resolved alerts, firing critical first.
    public var active: [Alert]
    /// The latest transitions, newest first.
    public var history: [AlertEvent]
    /// Firing alerts by severity.
    public var firing: [String: Int]
    /// Notifier deliveries that failed since start, by notifier.
    public var notifierFailures: [String: UInt64]
}
