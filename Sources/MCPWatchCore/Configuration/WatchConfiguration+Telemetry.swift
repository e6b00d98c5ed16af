import Foundation

/// OTLP export (`otel.*`, docs in the README): a span per call and the figures by the OpenTelemetry MCP conventions,
/// off by default. The standard `OTEL_*` environment variables are read as well and win over these keys, as the
/// OpenTelemetry SDKs do.
public struct TelemetrySettings: Sendable, Equatable {
    /// The samplers of `OTEL_TRACES_SAMPLER`.
    public enum Sampler: String, Sendable, CaseIterable {
        case alwaysOn = "always_on"
        case alwaysOff = "always_off"
        case traceIDRatio = "traceidratio"
        case parentBasedAlwaysOn = "parentbased_always_on"
        case parentBasedAlwaysOff = "parentbased_always_off"
        case parentBasedTraceIDRatio = "parentbased_traceidratio"
    }

    /// The protocols of `OTEL_EXPORTER_OTLP_PROTOCOL` this build exports with.
    public static let protocols = ["http/protobuf", "http/json"]

    /// Export a span per call (`otel.traces`, or `OTEL_TRACES_EXPORTER=otlp`).
    public var traces = false
    /// Export the figures (`otel.metrics`, or `OTEL_METRICS_EXPORTER=otlp`).
    public var metrics = false
    /// The collector's base URL (`/v1/traces` and `/v1/metrics` are added); nil for `http://localhost:4318`.
    public var endpoint: String?
    /// `http/protobuf` (the default) or `http/json`.
    public var wireProtocol = "http/protobuf"
    /// `service.name`; nil for `mcpwatch`.
    public var serviceName: String?
    /// More resource attributes, `key=value` each.
    public var resourceAttributes: [String] = []
    /// Which spans are kept.
    public var sampler: Sampler = .parentBasedAlwaysOn
    /// The ratio of the ratio samplers, 0 to 1.
    public var samplerRatio = 1.0
    /// Write mcpwatch's span context into the forwarded request's `params._meta.traceparent`.
    public var propagate = false
    /// Time between two metric exports.
    public var metricInterval: Duration = .seconds(60)
    /// Time between two span exports.
    public var scheduleDelay: Duration = .seconds(5)
    /// Most finished calls waiting for the exporter; past it their spans are dropped and counted.
    public var queueSize = 2_048

    /// The defaults: nothing exported.
    public init() {}

    /// Whether spans are exported, the environment considered: `OTEL_TRACES_EXPORTER=otlp` turns them on, `none` off.
    public func tracesEnabled(environment: [String: String]) -> Bool {
        Self.exporterSwitch(environment["OTEL_TRACES_EXPORTER"]) ?? traces
    }

    /// Whether metrics are exported, the environment considered (`OTEL_METRICS_EXPORTER`).
    public func metricsEnabled(environment: [String: String]) -> Bool {
        Self.exporterSwitch(environment["OTEL_METRICS_EXPORTER"]) ?? metrics
    }

    static func exporterSwitch(_ value: String?) -> Bool? {
        guard let value = value?.trimmingCharacters(in: .whitespaces).lowercased(), !value.isEmpty else { return nil }
        let names = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if names.contains("otlp") { return true }
        if names == ["none"] { return false }
        return nil
    }

    /// An endpoint URL as OTLP/HTTP takes it: `http` or `https`, with a host.
    public static func parseEndpoint(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let url = URL(string: trimmed), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty else { return nil }
        return trimmed
    }

    /// A sampler ratio, 0 to 1.
    public static func parseRatio(_ text: String) -> Double? {
        Double(text.trimmingCharacters(in: .whitespaces)).flatMap { (0...1).contains($0) ? $0 : nil }
    }

    /// What is wrong in the standard `OTEL_*` variables mcpwatch reads (an endpoint that is no URL, a sampler or
    /// protocol it does not know), for `config check` and every command.
    public static func environmentProblems(_ environment: [String: String]) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        for name in ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"] {
            if let value = environment[name], !value.isEmpty, parseEndpoint(value) == nil {
                problems.append(ConfigProblem(source: name, key: "otel.endpoint", message: "expected an http:// or https:// URL with a host, found '\(value)'"))
            }
        }
        if let value = environment["OTEL_TRACES_SAMPLER"], !value.isEmpty, Sampler(rawValue: value.lowercased()) == nil {
            problems.append(ConfigProblem(source: "OTEL_TRACES_SAMPLER", key: "otel.sampler",
                message: "unknown sampler '\(value)'; expected one of \(Sampler.allCases.map(\.rawValue).joined(separator: ", "))"))
        }
        if let value = environment["OTEL_TRACES_SAMPLER_ARG"], !value.isEmpty, parseRatio(value) == nil {
            problems.append(ConfigProblem(source: "OTEL_TRACES_SAMPLER_ARG", key: "otel.sampler_arg", message: "expected a ratio from 0 to 1, found '\(value)'"))
        }
        for name in ["OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL"] {
            if let value = environment[name], !value.isEmpty, !protocols.contains(value) {
                problems.append(ConfigProblem(source: name, key: "otel.protocol", message: "expected \(protocols.joined(separator: " or ")) (gRPC is not built in), found '\(value)'"))
            }
        }
        for name in ["OTEL_METRIC_EXPORT_INTERVAL", "OTEL_BSP_SCHEDULE_DELAY"] {
            if let value = environment[name], !value.isEmpty, UInt(value) == nil {
                problems.append(ConfigProblem(source: name, key: name == "OTEL_BSP_SCHEDULE_DELAY" ? "otel.schedule_delay" : "otel.metric_interval",
                                              message: "expected a whole number of milliseconds, found '\(value)'"))
            }
        }
        return problems
    }
}

extension ConfigSchema {
    /// The `otel.*` keys, listed last in ``settings``.
    static let telemetrySettings: [Setting] = [
        boolean("otel.traces", "export a span per call over OTLP (also OTEL_TRACES_EXPORTER=otlp)") { $0.telemetry.traces = $1 } render: { $0.telemetry.traces },
        boolean("otel.metrics", "export the figures over OTLP by the MCP conventions (also OTEL_METRICS_EXPORTER=otlp)") { $0.telemetry.metrics = $1 } render: { $0.telemetry.metrics },
        Setting(key: "otel.endpoint", help: "the OTLP/HTTP collector's base URL (default http://localhost:4318; OTEL_EXPORTER_OTLP_ENDPOINT wins)", isList: false, apply: { config, node in
            switch node {
            case .null: config.telemetry.endpoint = nil
            case .scalar(let text, _):
                guard let url = TelemetrySettings.parseEndpoint(text) else { return "expected an http:// or https:// URL with a host, found '\(text)'" }
                config.telemetry.endpoint = url
            default: return "expected a URL, found \(node.kindName)"
            }
            return nil
        }, render: { $0.telemetry.endpoint.map(quoted) ?? "null" }),
        scalar("otel.protocol", "the OTLP protocol: http/protobuf (the default) or http/json", { TelemetrySettings.protocols.contains($0) ? $0 : nil }, "http/protobuf or http/json") { $0.telemetry.wireProtocol = $1 } render: { $0.telemetry.wireProtocol },
        string("otel.service_name", "service.name of what mcpwatch exports (default mcpwatch; OTEL_SERVICE_NAME wins)") { $0.telemetry.serviceName = $1 } render: { $0.telemetry.serviceName },
        list("otel.resource_attributes", "more resource attributes, key=value each (also OTEL_RESOURCE_ATTRIBUTES)") { $0.telemetry.resourceAttributes = $1 } render: { $0.telemetry.resourceAttributes },
        scalar("otel.sampler", "which spans are kept: \(TelemetrySettings.Sampler.allCases.map(\.rawValue).joined(separator: ", "))", { TelemetrySettings.Sampler(rawValue: $0.lowercased()) }, "one of \(TelemetrySettings.Sampler.allCases.map(\.rawValue).joined(separator: ", "))") { $0.telemetry.sampler = $1 } render: { $0.telemetry.sampler.rawValue },
        scalar("otel.sampler_arg", "the ratio of the ratio samplers, 0 to 1 (e.g. 0.01)", TelemetrySettings.parseRatio, "a ratio from 0 to 1") { $0.telemetry.samplerRatio = $1 } render: { "\($0.telemetry.samplerRatio)" },
        boolean("otel.propagate", "write mcpwatch's span context into each forwarded request's params._meta.traceparent (the one change mcpwatch makes to a message; only that key)") { $0.telemetry.propagate = $1 } render: { $0.telemetry.propagate },
        duration("otel.metric_interval", "time between two metric exports (OTEL_METRIC_EXPORT_INTERVAL wins)") { $0.telemetry.metricInterval = $1 } render: { $0.telemetry.metricInterval },
        duration("otel.schedule_delay", "time between two span exports (OTEL_BSP_SCHEDULE_DELAY wins)") { $0.telemetry.scheduleDelay = $1 } render: { $0.telemetry.scheduleDelay },
        scalar("otel.queue_size", "most finished calls waiting for the span exporter; past it spans are dropped and counted", { Int($0).flatMap { $0 > 0 ? $0 : nil } }, "a positive whole number") { $0.telemetry.queueSize = $1 } render: { "\($0.telemetry.queueSize)" },
    ]
}
