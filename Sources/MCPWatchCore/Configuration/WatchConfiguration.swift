import Foundation

/// Everything that can be configured, with its defaults: from a YAML file, `MCPWATCH_...` environment variables
/// and flags, in that order of precedence (flags last and strongest).
public struct WatchConfiguration: Sendable, Equatable {
    /// The monitored server's name (default: its `serverInfo.name`).
    public var serverName: String?
    /// The server command, when not given after `--`.
    public var serverCommand: [String] = []
    /// Longest message relayed.
    public var maxMessageBytes = 64 << 20
    /// Distinct (method, target) pairs kept.
    public var maxTargets = 1_000
    /// Grace before SIGTERM and again before SIGKILL, once the server's input is closed.
    public var shutdownGrace: Duration = .seconds(5)
    /// The stdio relay: after each read, how long to poll for the next message before blocking.
    public var readSpin: Duration = .microseconds(50)
    /// A Streamable HTTP server to relay instead of a command (`--upstream`).
    public var upstreamURL: String?
    /// Where to serve the Streamable HTTP relay (`--serve-http`).
    public var serveHTTP: ListenAddress?
    /// Browser origins allowed besides the page's own: on the MCP endpoint besides loopback and the served host, on
    /// the monitoring API besides the dashboard's own origin (these also get CORS headers there).
    public var allowedOrigins: [String] = []
    /// Host names every served port answers besides loopback names and its bound address (DNS rebinding protection).
    public var allowedHosts: [String] = []
    /// Which transport the upstream speaks (`--upstream-transport`).
    public var upstreamTransport: UpstreamTransport = .auto
    /// Time to connect to the upstream.
    public var upstreamConnectTimeout: Duration = .seconds(5)
    /// Time from a request to the upstream's response head.
    public var upstreamTimeout: Duration = .seconds(60)
    /// Streamable HTTP sessions tracked (and listed in /api/sessions) at once.
    public var maxSessions = 100
    /// The stdio bridge (`--serve-http` with a command): one child shared by all sessions instead of one each.
    public var sharedServer = false
    /// The stdio bridge: sessions at once.
    public var bridgeMaxSessions = 100
    /// The stdio bridge: a session without requests for this long is ended, with its child.
    public var sessionIdleTimeout: Duration = .seconds(1_800)
    /// Whether to serve HTTP.
    public var httpEnabled = true
    /// Where to serve HTTP.
    public var listen = ListenAddress(host: "127.0.0.1", port: 9470)
    /// API keys (prefer `http.api_key_file` or `MCPWATCH_API_KEY`: a key in a file that is shared leaks).
    public var apiKeys: [String] = []
    /// A file with API keys, one per line.
    public var apiKeyFile: String?
    /// Whether `/api/health` answers without a key.
    public var healthWithoutKey = false
    /// Whether a non-loopback address may be served without a key.
    public var insecurePublic = false
    /// HTTP requests slower than this are logged.
    public var slowRequestThreshold: Duration = .milliseconds(500)
    /// How often processes and the host are sampled.
    public var sampleInterval: Duration = .seconds(5)
    /// How long samples are kept.
    public var sampleWindow: Duration = .seconds(3_600)
    /// The folder whose filesystem's disk use is reported.
    public var dataDirectory = "."
    /// Where to write the JSON report, if anywhere.
    public var reportFile: String?
    /// How often the report file is written.
    public var reportInterval: Duration = .seconds(10)
    /// mcpwatch's log level.
    public var logLevel = "info"
    /// mcpwatch's log file (default: stderr).
    public var logFile: String?
    /// Health: error rate (percent, last minute) above which the server is degraded.
    public var degradedErrorRate: Double = 10
    /// Health: error rate above which it is unhealthy.
    public var unhealthyErrorRate: Double = 50
    /// Health: fewer calls than this in the last minute say nothing.
    public var healthMinimumCalls = 5
    /// Whether alert rules are evaluated.
    public var alertsEnabled = true
    /// How often alert rules are evaluated.
    public var alertInterval: Duration = .seconds(5)
    /// How many alert transitions the history keeps.
    public var alertHistorySize = 1_000
    /// Whether the built-in rules apply (each can still be overridden or switched off by name).
    public var builtinAlertRules = true
    /// The configuration's rules: new ones, and built-in ones with changes.
    public var alertRules: [AlertRule] = []
    /// Where alert transitions are POSTed.
    public var webhooks: [WebhookTarget] = []
    /// Commands run with each alert transition as JSON on stdin.
    public var alertCommands: [[String]] = []
    /// Traffic control (`traffic:`, docs/traffic.md); nil, the default, leaves the relays fully transparent.
    public var traffic: TrafficPolicy?
    /// The local store (`store.*`, WatchConfiguration+Store.swift).
    public var store = StoreSettings()
    /// OTLP export (`otel.*`, WatchConfiguration+Telemetry.swift).
    public var telemetry = TelemetrySettings()
    /// How `/metrics` writes buckets and resource URIs (`http.metrics_*`, WatchConfiguration+Prometheus.swift).
    public var prometheus = PrometheusOptions()

    /// The defaults.
    public init() {}

    /// The health policy these settings describe.
    public var healthPolicy: HealthPolicy {
        var policy = HealthPolicy()
        policy.degradedErrorRate = degradedErrorRate
        policy.unhealthyErrorRate = unhealthyErrorRate
        policy.minimumCalls = UInt64(healthMinimumCalls)
        return policy
    }

    /// The rules in force: the built-in ones (unless switched off), with the configuration's changes, then the
    /// configuration's own rules.
    public var effectiveAlertRules: [AlertRule] {
        var rules = builtinAlertRules ? AlertRule.builtIn : []
        for rule in alertRules {
            if let i = rules.firstIndex(where: { $0.name == rule.name }) { rules[i] = rule } else { rules.append(rule) }
        }
        return rules
    }

    static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
}

extension WatchConfiguration {
    /// Applies a parsed file; collects every problem rather than stopping at the first.
    /// - Parameter source: the file's name, for messages.
    public mutating func apply(file root: ConfigNode, source: String) -> [ConfigProblem] {
        guard case .mapping(let sections, _) = root else {
            if case .null = root { return [] }
            return [ConfigProblem(source: "\(source):\(root.line)", key: "(top)", message: "expected a mapping of sections (server, proxy, http, ...), found \(root.kindName)")]
        }
        var problems: [ConfigProblem] = []
        var known: [String] = []
        for setting in ConfigSchema.settings {
            let section = String(setting.key.split(separator: ".")[0])
            if !known.contains(section) { known.append(section) }
        }
        for section in sections {
            if section.key == Self.trafficSection { problems += applyTraffic(file: section.value, source: source); continue }
            guard known.contains(section.key) else {
                problems.append(ConfigProblem(source: "\(source):\(section.line)", key: section.key,
                    message: "unknown section" + Self.sectionSuggestion(for: section.key, among: known)))
                continue
            }
            guard case .mapping(let entries, _) = section.value else {
                if case .null = section.value { continue }
                problems.append(ConfigProblem(source: "\(source):\(section.value.line)", key: section.key, message: "expected a mapping of keys, found \(section.value.kindName)"))
                continue
            }
            for entry in entries {
                let key = "\(section.key).\(entry.key)"
                guard let setting = ConfigSchema.setting(key) else {
                    let siblings = ConfigSchema.settings.filter { $0.key.hasPrefix(section.key + ".") }.map { String($0.key.dropFirst(section.key.count + 1)) }
                    problems.append(ConfigProblem(source: "\(source):\(entry.line)", key: key, message: "unknown key" + ConfigSchema.suggestion(for: entry.key, among: siblings)))
                    continue
                }
                if let message = setting.apply(&self, entry.value) {
                    problems.append(ConfigProblem(source: "\(source):\(entry.value.line)", key: key, message: message))
                }
            }
        }
        return problems + validate(source: source)
    }

    /// Applies `MCPWATCH_SECTION_KEY` variables (and `MCPWATCH_API_KEY`, comma-separated keys).
    public mutating func apply(environment: [String: String]) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        for setting in ConfigSchema.settings {
            guard let value = environment[setting.environmentName] else { continue }
            let node: ConfigNode = setting.isList
                ? .sequence(value.split(separator: ",").map { .scalar($0.trimmingCharacters(in: .whitespaces), line: 0) }, line: 0)
                : .scalar(value, line: 0)
            if let message = setting.apply(&self, node) {
                problems.append(ConfigProblem(source: setting.environmentName, key: setting.key, message: message))
            }
        }
        if let keys = environment["MCPWATCH_API_KEY"] {
            apiKeys += keys.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        problems += applyTraffic(environment: environment)
        problems += TelemetrySettings.environmentProblems(environment)
        return problems + validate(source: "environment")
    }

    /// Checks rules that span several keys.
    public func validate(source: String) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        if unhealthyErrorRate < degradedErrorRate {
            problems.append(ConfigProblem(source: source, key: "health.unhealthy_error_rate",
                message: "must not be below health.degraded_error_rate (\(degradedErrorRate))"))
        }
        return problems
    }

    /// The effective configuration as YAML, with every key, for `mcpwatch config check`.
    public func renderYAML() -> String {
        var out = ""
        var section = ""
        for setting in ConfigSchema.settings {
            let parts = setting.key.split(separator: ".")
            if parts[0] != section {
                section = String(parts[0])
                out += "\(section):\n"
            }
            out += "  \(parts[1]): \(setting.render(self))\n"
        }
        if let traffic { out += traffic.yaml }
        return out
    }
}

/// The table of every configuration key: its type, how to read it and how to print it.
public enum ConfigSchema {
    /// One key.
    public struct Setting: Sendable {
        /// Dotted key, e.g. `http.listen`.
        public let key: String
        /// What it means, for docs and `config check`.
        public let help: String
        let isList: Bool
        let apply: @Sendable (inout WatchConfiguration, ConfigNode) -> String?
        let render: @Sendable (WatchConfiguration) -> String

        /// The environment variable that sets it: `MCPWATCH_HTTP_LISTEN`.
        public var environmentName: String { "MCPWATCH_" + key.uppercased().replacingOccurrences(of: ".", with: "_") }
    }

    /// Every key, in documentation order.
    public static let settings: [Setting] = [Setting]([
        string("server.name", "name of the monitored server in reports (default: its serverInfo.name)") { $0.serverName = $1 } render: { $0.serverName },
        list("server.command", "the server command and arguments, when not given after `--`") { $0.serverCommand = $1 } render: { $0.serverCommand },
        scalar("proxy.max_message_bytes", "longest message relayed (e.g. 64MiB); longer ones are answered with an error", ConfigValueParsing.byteSize, "a size such as 1048576, 512KiB or 64MiB") { $0.maxMessageBytes = $1 } render: { "\($0.maxMessageBytes)" },
        scalar("proxy.max_targets", "distinct (method, target) pairs kept before folding into __other__", { Int($0).flatMap { $0 >= 2 ? $0 : nil } }, "a whole number of at least 2") { $0.maxTargets = $1 } render: { "\($0.maxTargets)" },
        duration("proxy.shutdown_grace", "time the server has to exit after its input closes, before SIGTERM and again before SIGKILL") { $0.shutdownGrace = $1 } render: { $0.shutdownGrace },
        duration("proxy.read_spin", "after each read, how long the stdio relay polls for the next message before it blocks (0s: never); trades a little CPU for latency") { $0.readSpin = $1 } render: { $0.readSpin },
        string("upstream.url", "a Streamable HTTP MCP server to relay instead of a command, e.g. http://127.0.0.1:8000/mcp") { $0.upstreamURL = $1 } render: { $0.upstreamURL },
        Setting(key: "upstream.serve_http", help: "HOST:PORT to serve the MCP endpoint on: the relayed upstream.url, or the server command bridged to Streamable HTTP", isList: false, apply: { config, node in
            switch node {
            case .null: config.serveHTTP = nil; return nil
            case .scalar(let text, _):
                guard let address = try? ListenAddress(parsing: text) else { return "expected HOST:PORT, e.g. 127.0.0.1:8080, found '\(text)'" }
                config.serveHTTP = address
                return nil
            default: return "expected HOST:PORT, found \(node.kindName)"
            }
        }, render: { $0.serveHTTP.map { "\"\($0)\"" } ?? "null" }),
        list("upstream.allowed_origins", "the former name of http.allowed_origins, still read") { $0.allowedOrigins = $1 } render: { $0.allowedOrigins },
        scalar("upstream.transport", "the transport upstream.url speaks, for the stdio front: auto (Streamable HTTP, or the older HTTP+SSE when initialize is refused with a 4xx), streamable-http, or sse (HTTP+SSE, 2024-11-05)", { UpstreamTransport(rawValue: $0) }, "auto, streamable-http or sse") { $0.upstreamTransport = $1 } render: { $0.upstreamTransport.rawValue },
        duration("upstream.connect_timeout", "time to connect to the upstream; then a request gets JSON-RPC error -32002 with 502") { $0.upstreamConnectTimeout = $1 } render: { $0.upstreamConnectTimeout },
        duration("upstream.timeout", "time from a request to the upstream's response head; then JSON-RPC error -32002 with 504 (an SSE stream then runs as long as it needs)") { $0.upstreamTimeout = $1 } render: { $0.upstreamTimeout },
        scalar("upstream.max_sessions", "Streamable HTTP sessions tracked and listed at once; the least recent is dropped first", { Int($0).flatMap { $0 >= 1 && $0 <= 100_000 ? $0 : nil } }, "a whole number from 1 to 100000") { $0.maxSessions = $1 } render: { "\($0.maxSessions)" },
        boolean("bridge.shared_server", "with upstream.serve_http and a server command: one server process shared by all sessions (request ids rewritten) instead of one per session") { $0.sharedServer = $1 } render: { $0.sharedServer },
        scalar("bridge.max_sessions", "with upstream.serve_http and a server command: sessions at once; one more initialize gets 503", { Int($0).flatMap { $0 >= 1 && $0 <= 10_000 ? $0 : nil } }, "a whole number from 1 to 10000") { $0.bridgeMaxSessions = $1 } render: { "\($0.bridgeMaxSessions)" },
        duration("bridge.session_idle_timeout", "with upstream.serve_http and a server command: a session without requests for this long ends (and its server process, when it has its own)") { $0.sessionIdleTimeout = $1 } render: { $0.sessionIdleTimeout },
        boolean("http.enabled", "serve metrics and the API over HTTP") { $0.httpEnabled = $1 } render: { $0.httpEnabled },
        scalar("http.listen", "HOST:PORT to serve on", { try? ListenAddress(parsing: $0) }, "HOST:PORT, e.g. 127.0.0.1:9470") { $0.listen = $1 } render: { "\"\($0.listen)\"" },
        list("http.api_keys", "API keys; prefer api_key_file or MCPWATCH_API_KEY") { $0.apiKeys = $1 } render: { $0.apiKeys.map { _ in "********" } },
        string("http.api_key_file", "file with API keys, one per line") { $0.apiKeyFile = $1 } render: { $0.apiKeyFile },
        boolean("http.health_without_key", "let /api/health answer without an API key") { $0.healthWithoutKey = $1 } render: { $0.healthWithoutKey },
        list("http.allowed_hosts", "host names (name or name:port; * for any) that every port mcpwatch serves answers besides loopback names and its bound address, e.g. to serve the dashboard under another name; others get 403 (DNS rebinding protection)") { $0.allowedHosts = $1 } render: { $0.allowedHosts },
        list("http.allowed_origins", "browser origins (scheme://host[:port]; * for any) allowed besides the page's own: on the monitoring API besides the dashboard's own origin (they get CORS headers), on the MCP endpoint besides loopback and the served host; others get 403") { $0.allowedOrigins = $1 } render: { $0.allowedOrigins },
        boolean("http.insecure_public", "allow a non-loopback address without an API key") { $0.insecurePublic = $1 } render: { $0.insecurePublic },
        duration("http.slow_request_threshold", "HTTP requests slower than this are logged") { $0.slowRequestThreshold = $1 } render: { $0.slowRequestThreshold },
        duration("sampling.interval", "how often processes and the host are sampled") { $0.sampleInterval = $1 } render: { $0.sampleInterval },
        duration("sampling.window", "how long samples are kept (for averages, maxima and charts)") { $0.sampleWindow = $1 } render: { $0.sampleWindow },
        string("sampling.data_dir", "folder whose filesystem's disk use is reported") { $0.dataDirectory = $1 ?? "." } render: { $0.dataDirectory },
        string("report.file", "write the JSON report to this file, atomically") { $0.reportFile = $1 } render: { $0.reportFile },
        duration("report.interval", "how often the report file is written") { $0.reportInterval = $1 } render: { $0.reportInterval },
        scalar("log.level", "trace, debug, info, notice, warning, error or critical", { WatchConfiguration.logLevels.contains($0) ? $0 : nil }, "one of " + WatchConfiguration.logLevels.joined(separator: ", ")) { $0.logLevel = $1 } render: { $0.logLevel },
        string("log.file", "mcpwatch's own log file (default: stderr)") { $0.logFile = $1 } render: { $0.logFile },
        scalar("health.degraded_error_rate", "error rate (percent, last minute) above which health is degraded", percent, "a percentage from 0 to 100") { $0.degradedErrorRate = $1 } render: { "\($0.degradedErrorRate)" },
        scalar("health.unhealthy_error_rate", "error rate (percent, last minute) above which health is unhealthy", percent, "a percentage from 0 to 100") { $0.unhealthyErrorRate = $1 } render: { "\($0.unhealthyErrorRate)" },
        scalar("health.min_calls", "fewer calls than this in the last minute say nothing about the error rate", { Int($0).flatMap { $0 >= 0 ? $0 : nil } }, "a whole number of at least 0") { $0.healthMinimumCalls = $1 } render: { "\($0.healthMinimumCalls)" },
        boolean("alerts.enabled", "evaluate alert rules") { $0.alertsEnabled = $1 } render: { $0.alertsEnabled },
        duration("alerts.interval", "how often alert rules are evaluated") { $0.alertInterval = $1 } render: { $0.alertInterval },
        scalar("alerts.history_size", "how many alert transitions the history keeps", { Int($0).flatMap { $0 >= 1 && $0 <= 1_000_000 ? $0 : nil } }, "a whole number from 1 to 1000000") { $0.alertHistorySize = $1 } render: { "\($0.alertHistorySize)" },
        boolean("alerts.builtin_rules", "apply the built-in rules (each can also be changed or switched off by name in alerts.rules)") { $0.builtinAlertRules = $1 } render: { $0.builtinAlertRules },
        Setting(key: "alerts.rules", help: "alert rules: new ones, or built-in ones by name with changes (see docs/alerts.md); file only", isList: false, apply: { config, node in
            let (rules, problems) = AlertRule.parseList(node)
            guard problems.isEmpty else { return problems.joined(separator: "; ") }
            config.alertRules = rules
            return nil
        }, render: { config in "[" + config.effectiveAlertRules.map { "\n    " + $0.configYAML }.joined(separator: ",") + "]" }),
        Setting(key: "alerts.webhooks", help: "URLs to POST alert transitions to, or {url, secret_file, timeout, retries} mappings", isList: true, apply: { config, node in
            switch WebhookTarget.parseList(node) {
            case .success(let hooks): config.webhooks = hooks; return nil
            case .failure(let problem): return problem.message
            }
        }, render: { config in "[" + config.webhooks.map(\.configYAML).joined(separator: ", ") + "]" }),
        Setting(key: "alerts.commands", help: "commands run with each alert transition as JSON on stdin: each a list (program and arguments) or a shell line", isList: false, apply: { config, node in
            var commands: [[String]] = []
            guard case .sequence(let items, _) = node else {
                if case .null = node { config.alertCommands = []; return nil }
                return "expected a list of commands, found \(node.kindName)"
            }
            for item in items {
                switch item {
                case .scalar(let line, _): commands.append(["/bin/sh", "-c", line])
                case .sequence(let parts, _):
                    var argv: [String] = []
                    for part in parts { guard case .scalar(let t, _) = part else { return "line \(part.line): a command's parts are text" }; argv.append(t) }
                    guard !argv.isEmpty else { return "line \(item.line): an empty command" }
                    commands.append(argv)
                default: return "line \(item.line): a command is a shell line or a list (program and arguments)"
                }
            }
            config.alertCommands = commands
            return nil
        }, render: { config in "[" + config.alertCommands.map { "[" + $0.map(quoted).joined(separator: ", ") + "]" }.joined(separator: ", ") + "]" }),
    ] + storeSettings + telemetrySettings).groupedBySection(adding: metricsSettings)

    /// The setting for a dotted key.
    public static func setting(_ key: String) -> Setting? { settings.first { $0.key == key } }

    static func percent(_ text: String) -> Double? { Double(text).flatMap { (0...100).contains($0) ? $0 : nil } }

    static func scalar<T>(
        _ key: String, _ help: String, _ parse: @escaping @Sendable (String) -> T?, _ expected: String,
        set: @escaping @Sendable (inout WatchConfiguration, T) -> Void, render: @escaping @Sendable (WatchConfiguration) -> String
    ) -> Setting {
        Setting(key: key, help: help, isList: false, apply: { config, node in
            guard case .scalar(let text, _) = node else { return "expected \(expected), found \(node.kindName)" }
            guard let value = parse(text) else { return "expected \(expected), found '\(text)'" }
            set(&config, value)
            return nil
        }, render: render)
    }

    static func duration(
        _ key: String, _ help: String, set: @escaping @Sendable (inout WatchConfiguration, Duration) -> Void,
        render: @escaping @Sendable (WatchConfiguration) -> Duration
    ) -> Setting {
        scalar(key, help, ConfigValueParsing.duration, "a duration such as 500ms, 5s, 2m or 1h", set: set,
               render: { ConfigValueParsing.format(render($0)) })
    }

    static func boolean(
        _ key: String, _ help: String, set: @escaping @Sendable (inout WatchConfiguration, Bool) -> Void,
        render: @escaping @Sendable (WatchConfiguration) -> Bool
    ) -> Setting {
        scalar(key, help, ConfigValueParsing.bool, "true or false", set: set, render: { "\(render($0))" })
    }

    static func string(
        _ key: String, _ help: String, set: @escaping @Sendable (inout WatchConfiguration, String?) -> Void,
        render: @escaping @Sendable (WatchConfiguration) -> String?
    ) -> Setting {
        Setting(key: key, help: help, isList: false, apply: { config, node in
            switch node {
            case .scalar(let text, _): set(&config, text)
            case .null: set(&config, nil)
            default: return "expected text, found \(node.kindName)"
            }
            return nil
        }, render: { render($0).map(quoted) ?? "null" })
    }

    static func list(
        _ key: String, _ help: String, set: @escaping @Sendable (inout WatchConfiguration, [String]) -> Void,
        render: @escaping @Sendable (WatchConfiguration) -> [String]
    ) -> Setting {
        Setting(key: key, help: help, isList: true, apply: { config, node in
            switch node {
            case .sequence(let items, _):
                var values: [String] = []
                for item in items {
                    guard case .scalar(let text, _) = item else { return "expected a list of text values, found \(item.kindName) in it" }
                    values.append(text)
                }
                set(&config, values)
            case .null: set(&config, [])
            default: return "expected a list, found \(node.kindName)"
            }
            return nil
        }, render: { "[" + render($0).map(quoted).joined(separator: ", ") + "]" })
    }

    static func quoted(_ text: String) -> String { JSONRPCErrorResponse.jsonString(text) }

    /// ` (did you mean 'listen'?)` when a known name is close to the unknown one.
    static func suggestion(for unknown: String, among known: [String]) -> String {
        let best = known.map { ($0, editDistance(unknown, $0)) }.min { $0.1 < $1.1 }
        guard let (name, distance) = best, distance <= max(2, name.count / 3) else {
            return "; known keys here: " + known.joined(separator: ", ")
        }
        return " (did you mean '\(name)'?)"
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(1, a.count) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(1, b.count) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : b.isEmpty ? a.count : previous[b.count]
    }
}

/// The transport an HTTP upstream speaks.
public enum UpstreamTransport: String, Sendable, CaseIterable {
    /// Streamable HTTP, falling back to HTTP+SSE when `initialize` is refused with a 4xx (the specification's way).
    case auto
    /// Streamable HTTP (2025-03-26 and later).
    case streamableHTTP = "streamable-http"
    /// The older HTTP+SSE transport (2024-11-05): a GET stream that names where to POST, answers on the stream.
    case sse
}
