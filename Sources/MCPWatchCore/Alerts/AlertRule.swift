import Foundation

/// One threshold rule: which figure, over which calls and which window, compared with a warning and a critical
/// threshold, and how long the condition must hold before the alert fires.
public struct AlertRule: Sendable, Equatable, Codable {
    /// The figure a rule watches.
    public enum Metric: String, Sendable, Equatable, Codable, CaseIterable {
        case latencyAvg = "latency_avg"
        case latencyP50 = "latency_p50"
        case latencyP90 = "latency_p90"
        case latencyP95 = "latency_p95"
        case latencyP99 = "latency_p99"
        case errorRate = "error_rate"
        case successRate = "success_rate"
        case callsPerSecond = "calls_per_second"
        case inFlight = "in_flight"
        case anomalies
        case serverCPUPercent = "server_cpu_percent"
        case serverMemoryPercent = "server_memory_percent"
        case serverResidentBytes = "server_resident_bytes"
        case serverOpenFDs = "server_open_fds"
        case mcpwatchCPUPercent = "mcpwatch_cpu_percent"
        case mcpwatchMemoryPercent = "mcpwatch_memory_percent"
        case mcpwatchResidentBytes = "mcpwatch_resident_bytes"
        case mcpwatchOpenFDs = "mcpwatch_open_fds"
        case hostCPUPercent = "host_cpu_percent"
        case hostMemoryPercent = "host_memory_percent"
        case hostOpenFDs = "host_open_fds"
        case diskUsedPercent = "disk_used_percent"
        case cacheHitRate = "cache_hit_rate"
        case queueDepth = "queue_depth"
        /// Not a rule's figure: the metric of the events a circuit breaker's transitions make in the alert history
        /// (rule `circuit_breaker`, see ``AlertEngine/record(_:)``); a configured rule cannot watch it.
        case circuitBreaker = "circuit_breaker"

        /// The metrics a configured rule may watch (every one but ``circuitBreaker``).
        public static var watchable: [Metric] { allCases.filter { $0 != .circuitBreaker } }

        /// Whether the figure is about calls, so that a scope of targets applies.
        public var isCallMetric: Bool {
            switch self {
            case .latencyAvg, .latencyP50, .latencyP90, .latencyP95, .latencyP99, .errorRate, .successRate,
                 .callsPerSecond, .inFlight:
                true
            default: false
            }
        }

        /// Whether values are durations (kept in milliseconds).
        public var isLatency: Bool {
            switch self {
            case .latencyAvg, .latencyP50, .latencyP90, .latencyP95, .latencyP99: true
            default: false
            }
        }

        /// Whether values are byte counts.
        public var isBytes: Bool { self == .serverResidentBytes || self == .mcpwatchResidentBytes }

        /// Whether values are percents.
        public var isPercent: Bool {
            switch self {
            case .errorRate, .successRate, .serverCPUPercent, .serverMemoryPercent, .mcpwatchCPUPercent,
                 .mcpwatchMemoryPercent, .hostCPUPercent, .hostMemoryPercent, .diskUsedPercent, .cacheHitRate:
                true
            default: false
            }
        }

        /// A value of this metric, for people: `512 ms`, `12.5 %`, `1.2 GB`, `42`.
        public func format(_ value: Double) -> String {
            if isLatency { return value >= 1_000 ? Self.decimal(value / 1_000) + " s" : Self.decimal(value) + " ms" }
            if isPercent { return Self.decimal(value) + " %" }
            if isBytes {
                let units = ["B", "KB", "MB", "GB", "TB"]
                var v = value, unit = 0
                while v >= 1_000 && unit < units.count - 1 { v /= 1_000; unit += 1 }
                return Self.decimal(v) + " " + units[unit]
            }
            return Self.decimal(value)
        }

        static func decimal(_ value: Double) -> String {
            if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
            if abs(value) < 0.01 { return String(format: "%.3g", value) }
            return abs(value) >= 100 ? String(format: "%.0f", value) : abs(value) >= 10 ? String(format: "%.1f", value) : String(format: "%.2f", value)
        }
    }

    /// Which calls a call metric looks at.
    public enum Scope: Sendable, Hashable {
        /// All calls together, as one figure.
        case all
        /// Each target (tool, prompt, resource or method) whose method and name match, evaluated on its own.
        case each(methods: [String], targets: [String])

        /// Whether a target falls in the scope (always false for `all`, which is not per target).
        public func matches(method: String, name: String) -> Bool {
            guard case .each(let methods, let targets) = self else { return false }
            return (methods.isEmpty || methods.contains { Glob.matches($0, method) })
                && (targets.isEmpty || targets.contains { Glob.matches($0, name) })
        }
    }

    /// Over what a call metric is computed.
    public enum Window: Sendable, Hashable, CustomStringConvertible {
        /// The calls that finished in the last so many seconds.
        case seconds(Int)
        /// The last so many calls (at most ``AlertRule/maxCallWindow``).
        case calls(Int)

        public var description: String {
            switch self {
            case .seconds(let s): s % 3_600 == 0 ? "\(s / 3_600)h" : s % 60 == 0 ? "\(s / 60)m" : "\(s)s"
            case .calls(let n): "\(n) calls"
            }
        }
    }

    /// How the value is compared with the thresholds.
    public enum Comparison: String, Sendable, Equatable, Codable {
        case above = ">"
        case atLeast = ">="
        case below = "<"
        case atMost = "<="

        /// Whether `value` is on the alerting side of `threshold`.
        public func breaches(_ value: Double, _ threshold: Double) -> Bool {
            switch self {
            case .above: value > threshold
            case .atLeast: value >= threshold
            case .below: value < threshold
            case .atMost: value <= threshold
            }
        }

        /// Whether higher values are worse.
        public var higherIsWorse: Bool { self == .above || self == .atLeast }

        /// Words for summaries: `above`, `below`.
        public var words: String { higherIsWorse ? "above" : "below" }
    }

    /// The largest call-count window: each target keeps this many recent calls.
    public static let maxCallWindow = 256

    /// The rule's name, unique; a user rule with a built-in rule's name replaces it.
    public var name: String
    /// The figure watched.
    public var metric: Metric
    /// For call metrics: all calls together, or each matching target.
    public var scope: Scope
    /// For call metrics: the window the figure is computed over.
    public var window: Window
    /// The comparison with the thresholds.
    public var comparison: Comparison
    /// The warning threshold, in the metric's unit (latencies in ms, rates in percent); nil for none.
    public var warning: Double?
    /// The critical threshold; nil for none.
    public var critical: Double?
    /// How long the condition must hold before the alert fires, in seconds.
    public var forSeconds: Double
    /// Fewer calls in the window than this say nothing: the condition counts as not met.
    public var minimumSamples: Int
    /// How long the condition must stay clear before a firing alert resolves (or de-escalates), in seconds.
    public var resolveDelaySeconds: Double
    /// A firing alert stays firing until the value is this much (in the metric's unit) on the good side of the threshold.
    public var hysteresis: Double
    /// Text with placeholders: `{rule}`, `{target}`, `{metric}`, `{value}`, `{threshold}`, `{severity}`,
    /// `{window}`, `{comparison}`.
    public var summary: String
    /// Whether the rule is evaluated.
    public var enabled: Bool

    /// Creates a rule.
    public init(name: String, metric: Metric, scope: Scope = .all, window: Window = .seconds(300),
                comparison: Comparison = .above, warning: Double? = nil, critical: Double? = nil,
                forSeconds: Double = 0, minimumSamples: Int = 1, resolveDelaySeconds: Double = 60, hysteresis: Double = 0,
                summary: String? = nil, enabled: Bool = true) {
        self.name = name
        self.metric = metric
        self.scope = scope
        self.window = window
        self.comparison = comparison
        self.warning = warning
        self.critical = critical
        self.forSeconds = forSeconds
        self.minimumSamples = minimumSamples
        self.resolveDelaySeconds = resolveDelaySeconds
        self.hysteresis = hysteresis
        self.summary = summary ?? Self.defaultSummary(metric: metric, scope: scope)
        self.enabled = enabled
    }

    static func defaultSummary(metric: Metric, scope: Scope) -> String {
        let subject = metric.isCallMetric ? (scope == .all ? "{metric} of all calls" : "{metric} of {target}") : "{metric}"
        return subject + " is {value} over {window}, {comparison} the {severity} threshold {threshold}"
    }

    /// The severity a value reaches, before hysteresis: critical, warning or none.
    public func severity(of value: Double) -> AlertSeverity? {
        if let critical, comparison.breaches(value, critical) { return .critical }
        if let warning, comparison.breaches(value, warning) { return .warning }
        return nil
    }

    /// Whether a value still holds `severity`, allowing the hysteresis margin.
    public func holds(_ severity: AlertSeverity, value: Double) -> Bool {
        guard let threshold = threshold(for: severity) else { return false }
        let margin = comparison.higherIsWorse ? -hysteresis : hysteresis
        return comparison.breaches(value, threshold + margin)
    }

    /// The threshold of a severity.
    public func threshold(for severity: AlertSeverity) -> Double? { severity == .critical ? critical : warning }

    /// The summary with its placeholders filled.
    public func summaryText(target: String?, value: Double, severity: AlertSeverity) -> String {
        let threshold = self.threshold(for: severity).map(metric.format) ?? "-"
        var text = summary
        for (key, replacement) in [
            ("{rule}", name), ("{target}", target ?? "all calls"), ("{metric}", metric.rawValue),
            ("{value}", metric.format(value)), ("{threshold}", threshold), ("{severity}", severity.rawValue),
            ("{window}", metric.isCallMetric ? window.description : "the last sample"), ("{comparison}", comparison.words),
        ] {
            text = text.replacingOccurrences(of: key, with: replacement)
        }
        return text
    }
}

/// How bad a firing alert is.
public enum AlertSeverity: String, Sendable, Equatable, Codable, Comparable {
    case warning, critical

    public static func < (a: Self, b: Self) -> Bool { a == .warning && b == .critical }
}

/// Shell-style globs: `*` any run of characters, `?` one character; everything else literal.
public enum Glob {
    /// Whether `text` matches `pattern` as a whole.
    public static func matches(_ pattern: String, _ text: String) -> Bool {
        if pattern == "*" { return true }
        if !pattern.contains(where: { $0 == "*" || $0 == "?" }) { return pattern == text }
        let p = Array(pattern.unicodeScalars), t = Array(text.unicodeScalars)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count && (p[pi] == "?" || p[pi] == t[ti]) {
                pi += 1; ti += 1
            } else if pi < p.count && p[pi] == "*" {
                star = pi; mark = ti; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; ti = mark
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}

extension AlertRule.Scope: Codable {
    private enum Keys: String, CodingKey { case methods, targets }

    /// `"all"`, or `{"methods": [...], "targets": [...]}`.
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .all:
            var c = encoder.singleValueContainer()
            try c.encode("all")
        case .each(let methods, let targets):
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(methods, forKey: .methods)
            try c.encode(targets, forKey: .targets)
        }
    }

    public init(from decoder: any Decoder) throws {
        if let c = try? decoder.singleValueContainer(), let text = try? c.decode(String.self) {
            guard text == "all" else { throw DecodingError.dataCorruptedError(in: c, debugDescription: "scope is 'all' or an object") }
            self = .all
            return
        }
        let c = try decoder.container(keyedBy: Keys.self)
        self = .each(methods: try c.decodeIfPresent([String].self, forKey: .methods) ?? [],
                     targets: try c.decodeIfPresent([String].self, forKey: .targets) ?? [])
    }
}

extension AlertRule.Window: Codable {
    /// `5m`, `90s`, `1h`, or `100 calls`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let text = try c.decode(String.self)
        guard let window = Self(parsing: text) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "a window is a duration (5m) or a number of calls (100 calls)")
        }
        self = window
    }

    /// Parses `5m`, `90s`, `1h`, `300` (seconds), `100 calls`; nil when it is neither.
    public init?(parsing text: String) {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        for suffix in [" calls", "calls", " call"] where t.hasSuffix(suffix) {
            guard let n = Int(t.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), n >= 1, n <= AlertRule.maxCallWindow else { return nil }
            self = .calls(n)
            return
        }
        let units: [(String, Int)] = [("h", 3_600), ("m", 60), ("s", 1)]
        for (unit, factor) in units where t.hasSuffix(unit) {
            guard let n = Int(t.dropLast(unit.count)), n >= 1, n * factor <= 3_600 else { return nil }
            self = .seconds(n * factor)
            return
        }
        guard let n = Int(t), n >= 1, n <= 3_600 else { return nil }
        self = .seconds(n)
    }
}
