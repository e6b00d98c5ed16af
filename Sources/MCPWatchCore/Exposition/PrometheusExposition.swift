import Foundation

/// Renders measurements in the Prometheus text format 0.0.4, or OpenMetrics 1.0.
///
/// Names follow the OpenTelemetry MCP semantic conventions mapped to Prometheus: `mcp.server.operation.duration`
/// becomes `mcp_server_operation_duration_seconds` with labels `mcp_method_name`, `gen_ai_tool_name` (or
/// `gen_ai_prompt_name`, `mcp_resource_uri`), `error_type`. Label values are escaped, so a hostile tool name
/// cannot break the format.
public struct PrometheusExposition {
    /// The content type of the classic text format.
    public static let textContentType = "text/plain; version=0.0.4; charset=utf-8"
    /// The content type of OpenMetrics.
    public static let openMetricsContentType = "application/openmetrics-text; version=1.0.0; charset=utf-8"

    private var out = ""
    private let openMetrics: Bool

    /// Starts an exposition.
    public init(openMetrics: Bool = false) {
        self.openMetrics = openMetrics
        out.reserveCapacity(64 << 10)
    }

    /// The finished text.
    public mutating func finish() -> String {
        if openMetrics { out += "# EOF\n" }
        return out
    }

    /// Writes a metric family header.
    public mutating func family(_ name: String, type: String, help: String, unit: String? = nil) {
        // OpenMetrics names counters without the `_total` suffix in metadata.
        let familyName = openMetrics && type == "counter" && name.hasSuffix("_total") ? String(name.dropLast(6)) : name
        out += "# HELP \(familyName) \(Self.escapeHelp(help))\n"
        out += "# TYPE \(familyName) \(type)\n"
        if openMetrics, let unit { out += "# UNIT \(familyName) \(unit)\n" }
    }

    /// Writes one sample.
    public mutating func sample(_ name: String, _ labels: [(String, String)] = [], _ value: Double) {
        out += name
        if !labels.isEmpty {
            out += "{"
            for (i, (k, v)) in labels.enumerated() {
                if i > 0 { out += "," }
                out += k
                out += "=\""
                out += Self.escapeLabel(v)
                out += "\""
            }
            out += "}"
        }
        out += " "
        out += Self.format(value)
        out += "\n"
    }

    /// Writes one integer sample.
    public mutating func sample(_ name: String, _ labels: [(String, String)] = [], _ value: UInt64) {
        sample(name, labels, Double(value))
    }

    /// A sample value as Prometheus writes it.
    public static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == .infinity { return "+Inf" }
        if value == -.infinity { return "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// Escapes a label value: backslash, double quote and newline.
    public static func escapeLabel(_ value: String) -> String {
        guard value.contains(where: { $0 == "\\" || $0 == "\"" || $0 == "\n" || $0 == "\r\n" }) else { return value }
        var escaped = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    static func escapeHelp(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// The labels that name a target: the method, and the tool, prompt or resource label the conventions use.
    public static func targetLabels(_ key: TargetKey) -> [(String, String)] {
        var labels = [("mcp_method_name", key.method)]
        if let target = key.target {
            switch key.method {
            case "prompts/get": labels.append(("gen_ai_prompt_name", target))
            case "resources/read", "resources/subscribe", "resources/unsubscribe": labels.append(("mcp_resource_uri", target))
            default: labels.append(("gen_ai_tool_name", target))
            }
        }
        return labels
    }
}

extension PrometheusExposition {
    /// Writes every call, traffic and anomaly metric of a store.
    /// - Parameters:
    ///   - report: the report to take counters and gauges from.
    ///   - histograms: the duration buckets (``MetricsStore/durationHistograms()``).
    ///   - server: the `server` label value.
    ///   - transport: the `network_transport` label value (`pipe` for stdio, `tcp` for HTTP).
    public mutating func writeCalls(report: Report, histograms: [DurationSeries], server: String, transport: String = "pipe") {
        let common = [("server", server), ("network_transport", transport)]
        for (direction, name, help) in [
            (Direction.clientToServer, "mcp_server_operation_duration_seconds", "Duration of MCP requests from the client, from request to response, as the proxy saw them."),
            (Direction.serverToClient, "mcp_client_operation_duration_seconds", "Duration of MCP requests from the server to the client (sampling, elicitation, roots), from request to response."),
        ] {
            let series = histograms.filter { $0.direction == direction }
            guard !series.isEmpty || direction == .clientToServer else { continue }
            family(name, type: "histogram", help: help, unit: "seconds")
            for s in series {
                var labels = common + Self.targetLabels(s.key)
                if let type = s.errorType { labels.append(("error_type", type)) }
                let cumulative = s.buckets.cumulative
                for (i, bound) in DurationBuckets.boundsMicros.enumerated() {
                    sample(name + "_bucket", labels + [("le", Self.format(Double(bound) / 1e6))], cumulative[i])
                }
                sample(name + "_bucket", labels + [("le", "+Inf")], cumulative[cumulative.count - 1])
                sample(name + "_sum", labels, Double(s.buckets.sumNanos) / 1e9)
                sample(name + "_count", labels, cumulative[cumulative.count - 1])
            }
        }

        family("mcpwatch_calls_total", type: "counter", help: "Finished MCP calls by outcome (ok, jsonrpc_error, tool_error, cancelled, lost).")
        for t in report.targets {
            let labels = common + Self.targetLabels(TargetKey(method: t.method, target: t.target))
            for outcome in CallOutcome.allCases {
                sample("mcpwatch_calls_total", labels + [("outcome", outcome.rawValue)], t.outcomes[outcome.rawValue] ?? 0)
            }
        }
        family("mcpwatch_call_errors_total", type: "counter", help: "Failed MCP calls by error type (JSON-RPC code, tool_error, cancelled, lost).")
        for t in report.targets {
            let labels = common + Self.targetLabels(TargetKey(method: t.method, target: t.target))
            for (type, count) in t.errorTypes.sorted(by: { $0.key < $1.key }) {
                sample("mcpwatch_call_errors_total", labels + [("error_type", type)], count)
            }
        }
        family("mcpwatch_calls_in_flight", type: "gauge", help: "MCP requests sent and not yet answered.")
        for t in report.targets {
            sample("mcpwatch_calls_in_flight", common + Self.targetLabels(TargetKey(method: t.method, target: t.target)), Double(t.inFlight))
        }
        family("mcpwatch_request_size_bytes_total", type: "counter", help: "Bytes of MCP requests, per target.")
        for t in report.targets {
            sample("mcpwatch_request_size_bytes_total", common + Self.targetLabels(TargetKey(method: t.method, target: t.target)), t.requestBytes.total)
        }
        family("mcpwatch_response_size_bytes_total", type: "counter", help: "Bytes of MCP responses, per target.")
        for t in report.targets {
            sample("mcpwatch_response_size_bytes_total", common + Self.targetLabels(TargetKey(method: t.method, target: t.target)), t.responseBytes.total)
        }
        family("mcpwatch_messages_total", type: "counter", help: "JSON-RPC frames relayed, per direction.")
        sample("mcpwatch_messages_total", common + [("direction", Direction.clientToServer.rawValue)], report.overview.traffic.clientToServerMessages)
        sample("mcpwatch_messages_total", common + [("direction", Direction.serverToClient.rawValue)], report.overview.traffic.serverToClientMessages)
        family("mcpwatch_relayed_bytes_total", type: "counter", help: "Bytes relayed, per direction.")
        sample("mcpwatch_relayed_bytes_total", common + [("direction", Direction.clientToServer.rawValue)], report.overview.traffic.clientToServerBytes)
        sample("mcpwatch_relayed_bytes_total", common + [("direction", Direction.serverToClient.rawValue)], report.overview.traffic.serverToClientBytes)
        family("mcpwatch_notifications_total", type: "counter", help: "JSON-RPC notifications relayed, per method and direction.")
        for n in report.notifications {
            sample("mcpwatch_notifications_total", common + [("mcp_method_name", n.method), ("direction", n.direction.rawValue)], n.count)
        }
        family("mcpwatch_anomalies_total", type: "counter", help: "Frames that were not clean JSON-RPC, per kind; relayed unless oversized.")
        for kind in AnomalyKind.allCases {
            sample("mcpwatch_anomalies_total", common + [("kind", kind.rawValue)], report.anomalies.byKind[kind.rawValue] ?? 0)
        }
        family("mcpwatch_server_up", type: "gauge", help: "1 while the monitored server process runs, 0 once it has exited.")
        sample("mcpwatch_server_up", common, report.session.serverAlive == false ? 0.0 : 1.0)
        family("mcpwatch_start_time_seconds", type: "gauge", help: "When monitoring started, in Unix seconds.", unit: "seconds")
        sample("mcpwatch_start_time_seconds", common, report.overview.startTime.timeIntervalSince1970)
    }
}
