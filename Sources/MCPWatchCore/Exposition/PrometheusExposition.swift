import Foundation

/// Renders measurements in the Prometheus text format 0.0.4, or OpenMetrics 1.0.
///
/// Names follow the OpenTelemetry MCP semantic conventions mapped to Prometheus: `mcp.server.operation.duration`
/// becomes `mcp_server_operation_duration_seconds` with labels `mcp_method_name`, `gen_ai_tool_name` (or
/// `gen_ai_prompt_name`; `mcp_resource_uri` only when opted in), `gen_ai_operation_name`, `mcp_protocol_version`,
/// `network_transport`, `error_type` and `rpc_response_status_code` (docs/metrics.md lists them against the
/// conventions). Label values are escaped, so a hostile tool name cannot break the format.
public struct PrometheusExposition {
    /// The content type of the classic text format.
    public static let textContentType = "text/plain; version=0.0.4; charset=utf-8"
    /// The content type of OpenMetrics.
    public static let openMetricsContentType = "application/openmetrics-text; version=1.0.0; charset=utf-8"

    /// The text so far, as UTF-8: bytes, not a `String`, because a scrape of 1,000 targets is 6 MB of short
    /// appends (string appends and the final conversion took twice as long).
    private var out: [UInt8] = []
    private let openMetrics: Bool
    /// The bounds the duration histograms are written with (``writeCalls(_:server:transport:options:)`` sets them).
    private var buckets: PrometheusOptions.Buckets = .fine
    /// Where each segment of the text starts, in order; together they cover the whole text.
    public private(set) var segments: [Segment] = []

    /// A piece of the text that changes on its own: one metric family's header and its samples, or one target's
    /// (or a block of targets') samples within a family. A scrape's gzip compresses each segment once and reuses
    /// it while its text stays the same (`SegmentedGzip`), so the key must name the same piece from scrape to
    /// scrape.
    public struct Segment: Sendable {
        /// Names the piece across scrapes.
        public var key: SegmentKey
        /// Its first byte in the text.
        public var start: Int
    }

    /// The name of a segment: its family, and the block of targets within it (-1 for the family's header, and for
    /// families written as a whole).
    public struct SegmentKey: Hashable, Sendable {
        /// The metric family's name as written in `# TYPE`.
        public var family: String
        /// The block of targets, or -1.
        public var block: Int

        /// Creates a key.
        public init(family: String, block: Int) {
            self.family = family
            self.block = block
        }
    }

    /// Starts an exposition.
    /// - Parameter capacity: bytes to reserve (a scrape of N targets needs about N × 6 KB).
    public init(openMetrics: Bool = false, capacity: Int = 64 << 10) {
        self.openMetrics = openMetrics
        out.reserveCapacity(capacity)
    }

    /// The finished text.
    public mutating func finish() -> String { String(decoding: finishBytes(), as: UTF8.self) }

    /// The finished text, as UTF-8 bytes.
    public mutating func finishBytes() -> [UInt8] {
        if openMetrics { out += "# EOF\n" }
        return out
    }

    /// Writes a metric family header.
    public mutating func family(_ name: String, type: String, help: String, unit: String? = nil) {
        // OpenMetrics names counters without the `_total` suffix in metadata.
        let familyName = openMetrics && type == "counter" && name.hasSuffix("_total") ? String(name.dropLast(6)) : name
        startSegment(SegmentKey(family: familyName, block: -1))
        out += "# HELP \(familyName) \(Self.escapeHelp(help))\n"
        out += "# TYPE \(familyName) \(type)\n"
        if openMetrics, let unit { out += "# UNIT \(familyName) \(unit)\n" }
    }

    /// Starts a segment at the current end of the text (at most one segment per offset: an empty one is replaced).
    mutating func startSegment(_ key: SegmentKey) {
        if segments.isEmpty, !out.isEmpty { segments.append(Segment(key: SegmentKey(family: "", block: -2), start: 0)) }
        if let last = segments.last, last.start == out.count {
            segments[segments.count - 1].key = key
        } else {
            segments.append(Segment(key: key, start: out.count))
        }
    }

    /// Starts the segment of one block of targets in the current family, unless it is the current segment.
    mutating func startTargetBlock(_ block: Int) {
        guard let current = segments.last?.key, current.block != block else { return }
        startSegment(SegmentKey(family: current.family, block: block))
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
    ///
    /// Built for scrapes of many targets: each target's label text is escaped once and reused for all its lines.
    /// - Parameters:
    ///   - counters: what the store counted (``MetricsStore/counters(serverName:)``).
    ///   - server: the `server` label value.
    ///   - transport: the `network_transport` label value (`pipe` for stdio, `tcp` for HTTP).
    ///   - options: the buckets, and whether resource URIs label series (folded into their method otherwise).
    public mutating func writeCalls(_ counters: CallCounters, server: String, transport: String = "pipe", options: PrometheusOptions = PrometheusOptions()) {
        let counters = options.resourceURI ? counters : counters.foldingResourceURIs()
        buckets = options.buckets
        let common = Self.labelText([("server", server), ("network_transport", transport)])
        let labelTexts = counters.targets.map { common + "," + Self.labelText(Self.targetLabels($0.key)) }
        // The conventions' histograms carry what the conventions recommend besides: the GenAI operation of a tool
        // call and the protocol version (not on mcpwatch's own families, whose series would split at `initialize`).
        let version = counters.protocolVersion.map { ",mcp_protocol_version=\"" + Self.escapeLabel($0) + "\"" } ?? ""
        let conventionTexts = counters.targets.indices.map { i in
            labelTexts[i] + (counters.targets[i].key.method == "tools/call" ? ",gen_ai_operation_name=\"execute_tool\"" : "") + version
                + Self.protocolNameText(transport)
        }
        for (direction, name, help) in [
            (Direction.clientToServer, "mcp_server_operation_duration_seconds", "Duration of MCP requests from the client, from request to response, as the proxy saw them."),
            (Direction.serverToClient, "mcp_client_operation_duration_seconds", "Duration of MCP requests from the server to the client (sampling, elicitation, roots), from request to response."),
        ] {
            let hasAny = counters.targets.contains { $0.direction == direction }
            guard hasAny || direction == .clientToServer else { continue }
            family(name, type: "histogram", help: help, unit: "seconds")
            let bucketName = name + "_bucket", sumName = name + "_sum", countName = name + "_count"
            for (i, t) in counters.targets.enumerated() where t.direction == direction {
                startTargetBlock(i)  // a target's histograms are about 50 lines: one segment each
                if t.okBuckets.count > 0 || t.errorBuckets.isEmpty {
                    writeHistogram(bucketName, sumName, countName, labels: conventionTexts[i], t.okBuckets)
                }
                for (type, buckets) in t.errorBuckets {
                    var labels = conventionTexts[i] + ",error_type=\"" + Self.escapeLabel(type) + "\""
                    if let code = Self.statusCode(errorType: type) { labels += ",rpc_response_status_code=\"" + code + "\"" }
                    writeHistogram(bucketName, sumName, countName, labels: labels, buckets)
                }
            }
        }

        family("mcpwatch_calls_total", type: "counter", help: "Finished MCP round trips by outcome (ok, jsonrpc_error, tool_error, cancelled, lost; input_required and task are interim rounds, neither ok nor errors).")
        for (i, t) in counters.targets.enumerated() {
            startTargetBlock(i / Self.targetsPerBlock)
            for (k, outcome) in CallOutcome.allCases.enumerated() {
                line("mcpwatch_calls_total", labelTexts[i], "outcome=\"" + outcome.rawValue + "\"", t.outcomes[k])
            }
        }
        family("mcpwatch_call_errors_total", type: "counter", help: "Failed MCP calls by error type (JSON-RPC code, tool_error, cancelled, lost).")
        for (i, t) in counters.targets.enumerated() {
            startTargetBlock(i / Self.targetsPerBlock)
            for (type, count) in t.errorTypes {
                line("mcpwatch_call_errors_total", labelTexts[i], "error_type=\"" + Self.escapeLabel(type) + "\"", count)
            }
        }
        family("mcpwatch_calls_in_flight", type: "gauge", help: "MCP requests sent and not yet answered.")
        for (i, t) in counters.targets.enumerated() {
            startTargetBlock(i / Self.targetsPerBlock)
            line("mcpwatch_calls_in_flight", labelTexts[i], nil, UInt64(max(0, t.inFlight)))
        }
        family("mcpwatch_request_size_bytes_total", type: "counter", help: "Bytes of MCP requests, per target.")
        for (i, t) in counters.targets.enumerated() {
            startTargetBlock(i / Self.targetsPerBlock)
            line("mcpwatch_request_size_bytes_total", labelTexts[i], nil, t.requestBytes)
        }
        family("mcpwatch_response_size_bytes_total", type: "counter", help: "Bytes of MCP responses, per target.")
        for (i, t) in counters.targets.enumerated() {
            startTargetBlock(i / Self.targetsPerBlock)
            line("mcpwatch_response_size_bytes_total", labelTexts[i], nil, t.responseBytes)
        }

        writeLogicalCalls(counters, labelTexts: labelTexts)

        let commonLabels = [("server", server), ("network_transport", transport)]
        writeSessions(counters, common: common + Self.protocolNameText(transport))
        writeStreams(counters, commonLabels: commonLabels)
        let traffic = counters.traffic
        family("mcpwatch_messages_total", type: "counter", help: "JSON-RPC frames relayed, per direction.")
        sample("mcpwatch_messages_total", commonLabels + [("direction", Direction.clientToServer.rawValue)], traffic.clientToServerMessages)
        sample("mcpwatch_messages_total", commonLabels + [("direction", Direction.serverToClient.rawValue)], traffic.serverToClientMessages)
        family("mcpwatch_relayed_bytes_total", type: "counter", help: "Bytes relayed, per direction.")
        sample("mcpwatch_relayed_bytes_total", commonLabels + [("direction", Direction.clientToServer.rawValue)], traffic.clientToServerBytes)
        sample("mcpwatch_relayed_bytes_total", commonLabels + [("direction", Direction.serverToClient.rawValue)], traffic.serverToClientBytes)
        family("mcpwatch_notifications_total", type: "counter", help: "JSON-RPC notifications relayed, per method and direction.")
        for n in counters.notifications {
            sample("mcpwatch_notifications_total", commonLabels + [("mcp_method_name", n.method), ("direction", n.direction.rawValue)], n.count)
        }
        family("mcpwatch_anomalies_total", type: "counter", help: "Frames that were not clean JSON-RPC, per kind; relayed unless oversized.")
        for kind in AnomalyKind.allCases {
            sample("mcpwatch_anomalies_total", commonLabels + [("kind", kind.rawValue)], counters.anomalies[kind.rawValue] ?? 0)
        }
        family("mcpwatch_server_up", type: "gauge", help: "1 while the monitored server process runs, 0 once it has exited.")
        sample("mcpwatch_server_up", commonLabels, counters.serverAlive == false ? 0.0 : 1.0)
        family("mcpwatch_start_time_seconds", type: "gauge", help: "When monitoring started, in Unix seconds.", unit: "seconds")
        sample("mcpwatch_start_time_seconds", commonLabels, counters.startTime.timeIntervalSince1970)
    }

    /// The logical calls of the targets that had one longer than a round trip (the others' logical calls are their
    /// round trips): their duration from first request to final result, rounds, client wait and task polls.
    private mutating func writeLogicalCalls(_ counters: CallCounters, labelTexts: [String]) {
        guard counters.targets.contains(where: { $0.logical != nil }) else { return }
        let name = "mcpwatch_logical_call_duration_seconds"
        family(name, type: "histogram", help: "Duration of logical MCP calls, from the first request to the final result across input_required rounds and task polls (client waits included); only for targets that had a call of more than one round trip, whose other calls count as one round each.", unit: "seconds")
        for (i, t) in counters.targets.enumerated() {
            guard let logical = t.logical else { continue }
            startTargetBlock(i)
            writeHistogram(name + "_bucket", name + "_sum", name + "_count", labels: labelTexts[i], logical.buckets)
        }
        family("mcpwatch_logical_call_rounds_total", type: "counter", help: "Round trips of logical MCP calls (1 plus one per input_required answer), task polls not included.")
        for (i, t) in counters.targets.enumerated() {
            guard let logical = t.logical else { continue }
            startTargetBlock(i / Self.targetsPerBlock)
            line("mcpwatch_logical_call_rounds_total", labelTexts[i], nil, logical.rounds)
        }
        family("mcpwatch_logical_call_client_wait_seconds_total", type: "counter", help: "Time logical MCP calls spent waiting for the client between an input_required answer and the retry.", unit: "seconds")
        for (i, t) in counters.targets.enumerated() {
            guard let logical = t.logical else { continue }
            startTargetBlock(i / Self.targetsPerBlock)
            line("mcpwatch_logical_call_client_wait_seconds_total", labelTexts[i], nil, Self.format(Double(logical.clientWaitNanos) / 1e9))
        }
        family("mcpwatch_task_polls_total", type: "counter", help: "tasks/get polls of the tasks that logical MCP calls created, by the call's target.")
        for (i, t) in counters.targets.enumerated() {
            guard let logical = t.logical else { continue }
            startTargetBlock(i / Self.targetsPerBlock)
            line("mcpwatch_task_polls_total", labelTexts[i], nil, logical.polls)
        }
    }

    /// `mcp.server.session.duration`: the transport sessions (`Mcp-Session-Id`, protocol versions up to
    /// 2025-11-25) that ended, first seen to `DELETE` or the server's 404, once one has.
    private mutating func writeSessions(_ counters: CallCounters, common: String) {
        guard !counters.sessionDurations.isEmpty else { return }
        let name = "mcp_server_session_duration_seconds"
        family(name, type: "histogram", help: "Duration of ended MCP transport sessions (Mcp-Session-Id), from the first message mcpwatch saw to DELETE or the server forgetting the session.", unit: "seconds")
        for s in counters.sessionDurations {
            let labels = s.protocolVersion.isEmpty ? common : common + ",mcp_protocol_version=\"" + Self.escapeLabel(s.protocolVersion) + "\""
            writeHistogram(name + "_bucket", name + "_sum", name + "_count", labels: labels, s.buckets)
        }
    }

    /// `network_protocol_name="http"` over TCP (mcpwatch speaks Streamable HTTP there), nothing over pipes.
    static func protocolNameText(_ transport: String) -> String {
        transport == "tcp" ? ",network_protocol_name=\"http\"" : ""
    }

    /// The JSON-RPC error code behind an `error.type`, for `rpc_response_status_code`: the number itself, or the
    /// code of the names ``JSONRPCErrorName`` gives; nil for outcomes without a code (`tool_error`, `cancelled`, ...).
    static func statusCode(errorType: String) -> String? {
        if let first = errorType.utf8.first, first == UInt8(ascii: "-") || (0x30...0x39).contains(first), Int(errorType) != nil {
            return errorType
        }
        switch errorType {
        case "resource_not_found": return "-32002"
        case "url_elicitation_required": return "-32042"
        case "header_mismatch": return "-32020"
        case "missing_required_client_capability": return "-32021"
        case "unsupported_protocol_version": return "-32022"
        default: return nil
        }
    }

    /// The notification streams (`subscriptions/listen`, the standalone `GET` stream), once one was opened.
    private mutating func writeStreams(_ counters: CallCounters, commonLabels: [(String, String)]) {
        guard !counters.streams.isEmpty else { return }
        family("mcpwatch_streams_open", type: "gauge", help: "Notification streams open now (subscriptions/listen, the standalone GET stream).")
        for s in counters.streams { sample("mcpwatch_streams_open", commonLabels + [("stream", s.kind.rawValue)], UInt64(max(0, s.open))) }
        family("mcpwatch_streams_opened_total", type: "counter", help: "Notification streams opened.")
        for s in counters.streams { sample("mcpwatch_streams_opened_total", commonLabels + [("stream", s.kind.rawValue)], s.opened) }
        family("mcpwatch_streams_closed_total", type: "counter", help: "Notification streams ended, by reason (server, client, transport, error); none is a failed call.")
        for c in counters.streamsClosed { sample("mcpwatch_streams_closed_total", commonLabels + [("reason", c.reason.rawValue)], c.count) }
        family("mcpwatch_stream_lifetime_seconds", type: "summary", help: "How long ended notification streams were open.", unit: "seconds")
        for s in counters.streams {
            sample("mcpwatch_stream_lifetime_seconds_sum", commonLabels + [("stream", s.kind.rawValue)], Double(s.lifetimeSumNanos) / 1e9)
            sample("mcpwatch_stream_lifetime_seconds_count", commonLabels + [("stream", s.kind.rawValue)], s.closed)
        }
        family("mcpwatch_stream_notifications_total", type: "counter", help: "Notifications delivered on subscriptions/listen streams, per method.")
        for n in counters.streamNotifications {
            sample("mcpwatch_stream_notifications_total", commonLabels + [("mcp_method_name", n.method)], n.count)
        }
    }

    /// Targets per segment in the families of one to a few lines per target: enough for a segment of a few
    /// kilobytes (each costs a few bytes of gzip framing and a zlib reset), few enough that one changed target
    /// recompresses little.
    static let targetsPerBlock = 16

    /// The `le` label text of every bucket bound, formatted once.
    static let leTexts: [String] = DurationBuckets.boundsMicros.map { "le=\"" + format(Double($0) / 1e6) + "\"" } + ["le=\"+Inf\""]

    /// Where each of the conventions' bounds is among ``DurationBuckets/boundsMicros`` (every one is there).
    static let conventionIndices: [Int] = PrometheusOptions.conventionBoundsMicros.map { bound in
        DurationBuckets.boundsMicros.firstIndex(of: bound)!
    }

    /// The `le` label text of the conventions' bounds.
    static let conventionLeTexts: [String] = PrometheusOptions.conventionBoundsMicros.map { "le=\"" + format(Double($0) / 1e6) + "\"" }

    private mutating func writeHistogram(_ bucketName: String, _ sumName: String, _ countName: String, labels: String, _ buckets: DurationBuckets) {
        let cumulative = buckets.cumulative
        switch self.buckets {
        case .fine:
            for (i, count) in cumulative.enumerated() { line(bucketName, labels, Self.leTexts[i], count) }
        case .conventions:
            // The fine bounds hold the conventions' ones, so their cumulative counts are exact.
            for (j, i) in Self.conventionIndices.enumerated() { line(bucketName, labels, Self.conventionLeTexts[j], cumulative[i]) }
            line(bucketName, labels, Self.leTexts[Self.leTexts.count - 1], cumulative[cumulative.count - 1])
        }
        line(sumName, labels, nil, Self.format(Double(buckets.sumNanos) / 1e9))
        line(countName, labels, nil, cumulative[cumulative.count - 1])
    }

    /// Escaped label pairs, comma-separated, without braces.
    static func labelText(_ labels: [(String, String)]) -> String {
        var text = ""
        for (i, (k, v)) in labels.enumerated() {
            if i > 0 { text += "," }
            text += k
            text += "=\""
            text += escapeLabel(v)
            text += "\""
        }
        return text
    }

    @inline(__always)
    private mutating func line(_ name: String, _ labels: String, _ extra: String?, _ value: UInt64) {
        lineStart(name, labels, extra)
        Self.appendDecimal(value, to: &out)
        out.append(0x0A)
    }

    private mutating func line(_ name: String, _ labels: String, _ extra: String?, _ value: String) {
        lineStart(name, labels, extra)
        out += value
        out.append(0x0A)
    }

    @inline(__always)
    private mutating func lineStart(_ name: String, _ labels: String, _ extra: String?) {
        out += name
        out.append(UInt8(ascii: "{"))
        out += labels
        if let extra {
            out.append(UInt8(ascii: ","))
            out += extra
        }
        out.append(UInt8(ascii: "}"))
        out.append(UInt8(ascii: " "))
    }

    /// Writes the decimal digits of `value`.
    @inline(__always)
    static func appendDecimal(_ value: UInt64, to out: inout [UInt8]) {
        if value < 10 {
            out.append(0x30 + UInt8(value))
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: enough for 20 digits
        var n = value, count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            while n > 0 {
                buffer[23 - count] = 0x30 + UInt8(n % 10)
                n /= 10
                count += 1
            }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[(24 - count)...]))
        }
    }
}

extension Array where Element == UInt8 {
    /// Appends a string's UTF-8 bytes (one copy for a native string).
    @inline(__always)
    static func += (lhs: inout [UInt8], rhs: String) {
        var rhs = rhs
        rhs.withUTF8 { lhs.append(contentsOf: $0) }
    }
}
