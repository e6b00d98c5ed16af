import Foundation
import Synchronization

/// Evaluates the rules on the metrics store and the system figures, keeps the alerts, and hands each transition
/// to the listeners (notifiers, the event stream). Driven by ``tick()``: the caller decides when, so tests need no
/// sleep.
public final class AlertEngine: Sendable {
    /// Figures the engine reads besides the metrics store.
    public struct Sources: Sendable {
        /// The latest system sample, or nil before the first one.
        public var system: @Sendable () -> SystemReport?
        /// Values of metrics fed from elsewhere (cache hit rate, queue depth), or nil when there is no data.
        public var gauge: @Sendable (AlertRule.Metric) -> Double?

        /// Creates the sources.
        public init(system: @escaping @Sendable () -> SystemReport? = { nil },
                    gauge: @escaping @Sendable (AlertRule.Metric) -> Double? = { _ in nil }) {
            self.system = system
            self.gauge = gauge
        }
    }

    /// Seconds between evaluations (what the caller schedules; shown in the report).
    public let intervalSeconds: Double
    let store: MetricsStore
    let sources: Sources
    private let evaluator: Mutex<AlertEvaluator>
    private let lastEvaluation = Mutex<Date?>(nil)
    private let failures = Mutex<[String: UInt64]>([:])
    private let listeners = Mutex<[UInt64: @Sendable (AlertEvent) -> Void]>([:])
    private let nextListener = Atomic<UInt64>(0)

    /// Creates an engine.
    public init(rules: [AlertRule], store: MetricsStore, sources: Sources = Sources(), intervalSeconds: Double = 5,
                historyLimit: Int = 1_000) {
        self.store = store
        self.sources = sources
        self.intervalSeconds = intervalSeconds
        evaluator = Mutex(AlertEvaluator(rules: rules.filter(\.enabled), historyLimit: historyLimit))
    }

    /// The enabled rules.
    public var rules: [AlertRule] { evaluator.withLock { $0.rules } }

    /// Evaluates every `interval` (the first time after one interval) until the task is cancelled: the engine's
    /// loop, run as a service beside the relay by the command (`AlertService`), which ends it at graceful shutdown.
    public func run(every interval: Duration) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            if Task.isCancelled { break }
            tick()
        }
    }

    /// Evaluates every rule once and returns the transitions (also passed to every listener).
    @discardableResult
    public func tick() -> [AlertEvent] {
        let now = store.clock.now()
        let wallNow = store.clock.wallNow()
        let rules = self.rules
        // Each window's figures are computed once per tick and shared by the rules that use it.
        var windows: [AlertRule.Window: (all: WindowStatistics, targets: [WindowStatistics])] = [:]
        let perTargetWindows = Set(rules.filter { $0.metric.isCallMetric && $0.scope != .all }.map(\.window))
        let system = rules.contains { !$0.metric.isCallMetric } ? sources.system() : nil
        for rule in rules where rule.metric.isCallMetric && windows[rule.window] == nil {
            windows[rule.window] = store.windowStatistics(rule.window, targets: perTargetWindows.contains(rule.window))
        }
        // Which targets each distinct scope covers: matched once per tick, not once per rule.
        var masks: [AlertRule.Scope: [Bool]] = [:]
        // Each (window, metric) as a column of plain numbers (NaN for no data), shared by the rules that read it.
        var columns: [ColumnKey: (values: [Double], samples: [Int])] = [:]
        let events = evaluator.withLock { evaluator in
            evaluator.beginTick()
            var events: [AlertEvent] = []
            var list: [AlertObservation] = []
            for (r, rule) in rules.enumerated() {
                list.removeAll(keepingCapacity: true)
                if rule.metric.isCallMetric {
                    let w = windows[rule.window]!
                    switch rule.scope {
                    case .all:
                        list.append(Self.observe(rule.metric, w.all, method: nil, target: nil, key: -1))
                    case .each:
                        if masks[rule.scope] == nil {
                            masks[rule.scope] = w.targets.map { rule.scope.matches(method: $0.method, name: $0.name ?? $0.method) }
                        }
                        let column = ColumnKey(window: rule.window, metric: rule.metric)
                        if columns[column] == nil { columns[column] = Self.column(rule.metric, w.targets) }
                        let mask = masks[rule.scope]!, (values, samples) = columns[column]!
                        let untracked = evaluator.hasNoAlerts(rule: r)
                        let minimum = rule.minimumSamples
                        for i in 0..<min(mask.count, values.count) where mask[i] {
                            // Most figures breach nothing and have no alert: skip them before building anything.
                            let value = values[i]
                            let breaches = !value.isNaN && samples[i] >= minimum && rule.severity(of: value) != nil
                            if !breaches && (untracked || !evaluator.isTracked(rule: r, key: i)) { continue }
                            list.append(AlertObservation(method: w.targets[i].method, target: w.targets[i].name, value: value.isNaN ? nil : value,
                                                         samples: samples[i], key: i))
                        }
                    }
                } else {
                    list.append(AlertObservation(value: value(of: rule, system: system), key: -1))
                }
                evaluator.evaluate(rule: r, observations: list, now: now, wallNow: wallNow, events: &events)
            }
            return events
        }
        lastEvaluation.withLock { $0 = wallNow }
        deliver(events)
        return events
    }

    /// Hands events to every listener.
    func deliver(_ events: [AlertEvent]) {
        guard !events.isEmpty else { return }
        let listeners = self.listeners.withLock { Array($0.values) }
        for event in events {
            for listener in listeners { listener(event) }
        }
    }

    /// Adds an event that no rule made to the history and hands it to the listeners; returns it as numbered.
    @discardableResult
    func record(external event: AlertEvent) -> AlertEvent {
        let numbered = evaluator.withLock { $0.record(external: event) }
        deliver([numbered])
        return numbered
    }

    struct ColumnKey: Hashable {
        var window: AlertRule.Window
        var metric: AlertRule.Metric
    }

    static func column(_ metric: AlertRule.Metric, _ targets: [WindowStatistics]) -> ([Double], [Int]) {
        var values: [Double] = [], samples: [Int] = []
        values.reserveCapacity(targets.count)
        samples.reserveCapacity(targets.count)
        for t in targets {
            let (v, n) = value(metric, t)
            values.append(v ?? .nan)
            samples.append(n)
        }
        return (values, samples)
    }

    static func observe(_ metric: AlertRule.Metric, _ w: WindowStatistics, method: String?, target: String?, key: Int) -> AlertObservation {
        let (value, samples) = Self.value(metric, w)
        return AlertObservation(method: method, target: target, value: value, samples: samples, key: key)
    }

    @inline(__always)
    static func value(_ metric: AlertRule.Metric, _ w: WindowStatistics) -> (Double?, Int) {
        let value: Double? = switch metric {
        case .latencyAvg: w.avgMs
        case .latencyP50: w.p50Ms
        case .latencyP90: w.p90Ms
        case .latencyP95: w.p95Ms
        case .latencyP99: w.p99Ms
        case .errorRate: w.errorRate
        case .successRate: w.successRate
        case .callsPerSecond: w.callsPerSecond
        case .inFlight: Double(w.inFlight)
        default: nil
        }
        // A rate of calls or a count in flight is meaningful with no calls at all.
        let samples = metric == .callsPerSecond || metric == .inFlight ? Int.max : w.calls
        return (value, samples)
    }

    private func value(of rule: AlertRule, system: SystemReport?) -> Double? {
        switch rule.metric {
        case .anomalies:
            let seconds = if case .seconds(let s) = rule.window { s } else { 300 }
            return Double(store.anomalies(lastSeconds: seconds))
        case .serverCPUPercent: return system?.server.flatMap { $0.alive ? $0.cpuPercent.current : nil }
        case .serverMemoryPercent: return system?.server.flatMap { $0.alive ? $0.memoryPercent.current : nil }
        case .serverResidentBytes: return system?.server.flatMap { $0.alive ? $0.residentBytes.current : nil }
        case .serverOpenFDs: return system?.server.flatMap { $0.alive ? $0.openFds.current : nil }
        case .mcpwatchCPUPercent: return system?.mcpwatch.cpuPercent.current
        case .mcpwatchMemoryPercent: return system?.mcpwatch.memoryPercent.current
        case .mcpwatchResidentBytes: return system?.mcpwatch.residentBytes.current
        case .mcpwatchOpenFDs: return system?.mcpwatch.openFds.current
        case .hostCPUPercent: return system?.host.cpuPercent.current
        case .hostMemoryPercent: return system?.host.memoryUsedPercent.current
        case .hostOpenFDs: return system?.host.openFiles.map(Double.init)
        case .diskUsedPercent: return system.flatMap { $0.host.diskTotalBytes > 0 ? $0.host.diskUsedPercent.current : nil }
        case .cacheHitRate, .queueDepth: return sources.gauge(rule.metric)
        default: return nil
        }
    }

    /// Registers a listener for every transition; returns a token for ``removeListener(_:)``.
    ///
    /// Listeners run on the evaluating task and must return at once: notifiers queue their work.
    @discardableResult
    public func addListener(_ listener: @escaping @Sendable (AlertEvent) -> Void) -> UInt64 {
        let token = nextListener.add(1, ordering: .relaxed).newValue
        listeners.withLock { $0[token] = listener }
        return token
    }

    /// Removes a listener.
    public func removeListener(_ token: UInt64) { _ = listeners.withLock { $0.removeValue(forKey: token) } }

    /// Counts a failed delivery of a notifier, for the report.
    public func recordNotifierFailure(_ notifier: String) { failures.withLock { $0[notifier, default: 0] += 1 } }

    /// Pending, firing and recently resolved alerts.
    public var alerts: [Alert] { evaluator.withLock { $0.alerts } }

    /// How many alerts are pending, firing or recently resolved.
    public var trackedCount: Int { evaluator.withLock { $0.trackedCount } }

    /// The alerts and the history, filtered.
    /// - Parameters:
    ///   - state: keep alerts (and history events ending) in this state.
    ///   - severity: keep those of this severity.
    ///   - target: keep those of this target (glob).
    ///   - limit: at most this many history events.
    public func report(state: Alert.State? = nil, severity: AlertSeverity? = nil, target: String? = nil, limit: Int = 1_000) -> AlertsReport {
        let (rules, alerts, events) = evaluator.withLock { ($0.rules, $0.alerts, $0.events) }
        func keep(_ s: Alert.State, _ sev: AlertSeverity?, _ t: String?) -> Bool {
            (state == nil || s == state) && (severity == nil || sev == severity)
                && (target == nil || Glob.matches(target!, t ?? ""))
        }
        var firing: [String: Int] = ["warning": 0, "critical": 0]
        for a in alerts where a.state == .firing { firing[(a.severity ?? .warning).rawValue, default: 0] += 1 }
        return AlertsReport(
            evaluatedAt: lastEvaluation.withLock { $0 }, intervalSeconds: intervalSeconds, rules: rules,
            active: alerts.filter { keep($0.state, $0.severity, $0.target) },
            history: Array(events.lazy.filter { keep($0.to, $0.severity, $0.target) }.prefix(max(0, limit))),
            firing: firing, notifierFailures: failures.withLock { $0 })
    }
}
