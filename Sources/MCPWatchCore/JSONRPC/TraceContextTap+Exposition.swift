
extension PrometheusExposition {
    /// The OTLP exporter's counters, while it runs: spans dropped because its queue was full (the collector down or
    /// slow), and requests whose `traceparent` was malformed.
    public mutating func writeTelemetry(_ tap: TraceContextTap, server: String) {
        let labels = [("mcp_server_name", server)]
        family("mcpwatch_otel_spans_dropped_total", type: "counter", help: "spans of finished calls dropped because the OTLP exporter's queue was full (otel.queue_size); the relay went on")
        sample("mcpwatch_otel_spans_dropped_total", labels, UInt64(tap.droppedCount))
        family("mcpwatch_otel_malformed_traceparent_total", type: "counter", help: "requests whose params._meta.traceparent was malformed (traced as new roots, relayed unchanged)")
        sample("mcpwatch_otel_malformed_traceparent_total", labels, UInt64(tap.malformedCount))
    }
}
