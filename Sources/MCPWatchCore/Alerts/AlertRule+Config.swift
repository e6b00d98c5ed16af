import Foundation

extension AlertRule {
    /// The keys a rule takes in the configuration file.
    public static let configKeys = ["name", "metric", "scope", "window", "comparison", "warning", "critical", "for",
                                    "min_samples", "resolve_delay", "hysteresis", "summary", "enabled"]

    /// Parses `alerts.rules`: a list of rules. A rule named like a built-in one starts from it and changes only
    /// the keys given (so `{name: tool_latency_p95, warning: 1s}` moves one threshold, `enabled: false` switches it
    /// off); any other name is a new rule, which needs at least `metric` and a threshold.
    /// - Returns: the user's rules (merged with built-ins of the same name), and the problems, with their lines.
    public static func parseList(_ node: ConfigNode, builtIn: [AlertRule] = AlertRule.builtIn) -> (rules: [AlertRule], problems: [String]) {
        guard case .sequence(let items, _) = node else {
            if case .null = node { return ([], []) }
            return ([], ["expected a list of rules, found \(node.kindName)"])
        }
        var rules: [AlertRule] = [], problems: [String] = []
        for item in items {
            switch parse(item, builtIn: builtIn) {
            case .success(let rule):
                if rules.contains(where: { $0.name == rule.name }) {
                    problems.append("line \(item.line): a second rule named '\(rule.name)'")
                } else {
                    rules.append(rule)
                }
            case .failure(let problem): problems.append(problem.message)
            }
        }
        return (rules, problems)
    }

    struct ParseProblem: Error { var message: String }

    static func parse(_ node: ConfigNode, builtIn: [AlertRule]) -> Result<AlertRule, ParseProblem> {
        guard case .mapping(let entries, let line) = node else {
            return .failure(.init(message: "line \(node.line): a rule is a mapping (name, metric, warning, ...), found \(node.kindName)"))
        }
        func text(_ key: String) -> (String, Int)? {
            guard let e = entries.first(where: { $0.key == key }), case .scalar(let t, let l) = e.value else { return nil }
            return (t, l)
        }
        guard let (name, _) = text("name"), !name.isEmpty else {
            return .failure(.init(message: "line \(line): a rule needs a name"))
        }
        let isOverride = builtIn.contains { $0.name == name }
        var rule: AlertRule
        if let base = builtIn.first(where: { $0.name == name }) {
            rule = base
        } else {
            guard let (metricText, l) = text("metric") else {
                return .failure(.init(message: "line \(line): rule '\(name)' needs a metric (one of \(Metric.watchable.map(\.rawValue).joined(separator: ", ")))"))
            }
            guard let metric = Metric(rawValue: metricText), metric != .circuitBreaker else {
                return .failure(.init(message: "line \(l): rule '\(name)': unknown metric '\(metricText)'" + ConfigSchema.suggestion(for: metricText, among: Metric.watchable.map(\.rawValue))))
            }
            rule = AlertRule(name: name, metric: metric, scope: metric.isCallMetric ? .each(methods: [], targets: ["*"]) : .all)
            rule.summary = ""
        }
        var summaryGiven = false
        for entry in entries {
            let at = "line \(entry.value.line): rule '\(name)': \(entry.key)"
            guard Self.configKeys.contains(entry.key) else {
                return .failure(.init(message: "line \(entry.line): rule '\(name)': unknown key '\(entry.key)'" + ConfigSchema.suggestion(for: entry.key, among: Self.configKeys)))
            }
            if entry.key == "scope" {
                switch parseScope(entry.value) {
                case .success(let scope): rule.scope = scope
                case .failure(let p): return .failure(.init(message: "\(at): \(p.message)"))
                }
                continue
            }
            if case .null = entry.value, entry.key == "warning" || entry.key == "critical" {
                if entry.key == "warning" { rule.warning = nil } else { rule.critical = nil }
                continue
            }
            guard case .scalar(let value, _) = entry.value else {
                return .failure(.init(message: "\(at): expected a value, found \(entry.value.kindName)"))
            }
            switch entry.key {
            case "name": break
            case "metric":
                guard let metric = Metric(rawValue: value), metric != .circuitBreaker else {
                    return .failure(.init(message: "\(at): unknown metric '\(value)'" + ConfigSchema.suggestion(for: value, among: Metric.watchable.map(\.rawValue))))
                }
                if isOverride && metric != rule.metric {
                    return .failure(.init(message: "\(at): the built-in rule watches \(rule.metric.rawValue); give a new rule its own name to watch \(value)"))
                }
                rule.metric = metric
            case "window":
                guard let window = Window(parsing: value) else {
                    return .failure(.init(message: "\(at): expected a duration up to 1h (1m, 5m) or up to \(maxCallWindow) calls (100 calls), found '\(value)'"))
                }
                rule.window = window
            case "comparison":
                guard let c = Comparison(rawValue: value) ?? ["above": .above, "below": .below][value] else {
                    return .failure(.init(message: "\(at): expected >, >=, <, <=, above or below, found '\(value)'"))
                }
                rule.comparison = c
            case "warning", "critical":
                guard let threshold = parseThreshold(value, metric: rule.metric) else {
                    return .failure(.init(message: "\(at): expected \(thresholdUnit(rule.metric)), found '\(value)'"))
                }
                if entry.key == "warning" { rule.warning = threshold } else { rule.critical = threshold }
            case "for", "resolve_delay":
                guard let d = ConfigValueParsing.duration(value) else {
                    return .failure(.init(message: "\(at): expected a duration such as 30s or 2m, found '\(value)'"))
                }
                if entry.key == "for" { rule.forSeconds = d.inSeconds } else { rule.resolveDelaySeconds = d.inSeconds }
            case "min_samples":
                guard let n = Int(value), n >= 0 else { return .failure(.init(message: "\(at): expected a whole number of at least 0, found '\(value)'")) }
                rule.minimumSamples = n
            case "hysteresis":
                guard let h = parseThreshold(value, metric: rule.metric), h >= 0 else {
                    return .failure(.init(message: "\(at): expected \(thresholdUnit(rule.metric)), 0 or more, found '\(value)'"))
                }
                rule.hysteresis = h
            case "summary":
                rule.summary = value
                summaryGiven = true
            case "enabled":
                guard let b = ConfigValueParsing.bool(value) else { return .failure(.init(message: "\(at): expected true or false, found '\(value)'")) }
                rule.enabled = b
            default: break
            }
        }
        if !summaryGiven && !isOverride { rule.summary = defaultSummary(metric: rule.metric, scope: rule.scope) }
        if rule.enabled && rule.warning == nil && rule.critical == nil {
            return .failure(.init(message: "line \(line): rule '\(name)' needs a warning or a critical threshold"))
        }
        if let w = rule.warning, let c = rule.critical, rule.comparison.breaches(w, c) && w != c {
            return .failure(.init(message: "line \(line): rule '\(name)': the critical threshold (\(rule.metric.format(c))) must be worse than the warning one (\(rule.metric.format(w)))"))
        }
        if !rule.metric.isCallMetric && rule.scope != .all {
            return .failure(.init(message: "line \(line): rule '\(name)': \(rule.metric.rawValue) is not about calls, so it takes no scope"))
        }
        return .success(rule)
    }

    static func parseScope(_ node: ConfigNode) -> Result<Scope, ParseProblem> {
        func strings(_ n: ConfigNode) -> [String]? {
            switch n {
            case .scalar(let t, _): return [t]
            case .sequence(let items, _):
                var out: [String] = []
                for i in items { guard case .scalar(let t, _) = i else { return nil }; out.append(t) }
                return out
            default: return nil
            }
        }
        switch node {
        case .scalar("all", _): return .success(.all)
        case .scalar(let t, _): return .success(.each(methods: [], targets: [t]))
        case .mapping(let entries, _):
            var methods: [String] = [], targets: [String] = ["*"]
            for e in entries {
                guard let list = strings(e.value) else { return .failure(.init(message: "\(e.key) takes a glob or a list of globs")) }
                switch e.key {
                case "methods": methods = list
                case "tools": methods = ["tools/call"]; targets = list
                case "targets": targets = list
                default: return .failure(.init(message: "unknown key '\(e.key)': a scope takes tools, methods and targets"))
                }
            }
            return .success(.each(methods: methods, targets: targets))
        default:
            return .failure(.init(message: "expected 'all', a glob of target names, or {tools: [...]} / {methods: [...], targets: [...]}"))
        }
    }

    /// A threshold in the metric's unit: latencies as `500ms`, `2s` or milliseconds; percents as `90` or `90%`;
    /// bytes as `512MiB`; counts as numbers.
    static func parseThreshold(_ text: String, metric: Metric) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if metric.isLatency {
            if let ms = Double(t) { return ms >= 0 ? ms : nil }
            guard let d = ConfigValueParsing.duration(t) else { return nil }
            return d.inSeconds * 1_000
        }
        if metric.isPercent {
            let number = t.hasSuffix("%") ? String(t.dropLast()).trimmingCharacters(in: .whitespaces) : t
            return Double(number).flatMap { (0...100).contains($0) ? $0 : nil }
        }
        if metric.isBytes {
            if let d = Double(t), d >= 0 { return d }
            return ConfigValueParsing.byteSize(t).map(Double.init)
        }
        return Double(t).flatMap { $0 >= 0 && $0.isFinite ? $0 : nil }
    }

    static func thresholdUnit(_ metric: Metric) -> String {
        if metric.isLatency { return "a duration (500ms, 2s) or milliseconds" }
        if metric.isPercent { return "a percentage from 0 to 100" }
        if metric.isBytes { return "a size (512MiB) or bytes" }
        return "a number"
    }

    /// The rule as a YAML flow mapping in the configuration's vocabulary, for `mcpwatch config check`.
    public var configYAML: String {
        func threshold(_ v: Double?) -> String {
            guard let v else { return "null" }
            return metric.isLatency ? "\(Metric.decimal(v))ms" : Metric.decimal(v)
        }
        let scopeText: String
        switch scope {
        case .all: scopeText = "all"
        case .each(let methods, let targets):
            scopeText = "{methods: [\(methods.map(ConfigSchema.quoted).joined(separator: ", "))], targets: [\(targets.map(ConfigSchema.quoted).joined(separator: ", "))]}"
        }
        return "{name: \(ConfigSchema.quoted(name)), metric: \(metric.rawValue), scope: \(scopeText), window: \"\(window)\", "
            + "comparison: \"\(comparison.rawValue)\", warning: \(threshold(warning)), critical: \(threshold(critical)), "
            + "for: \(Metric.decimal(forSeconds))s, min_samples: \(minimumSamples), resolve_delay: \(Metric.decimal(resolveDelaySeconds))s, "
            + "hysteresis: \(threshold(hysteresis)), summary: \(ConfigSchema.quoted(summary)), enabled: \(enabled)}"
    }
}
