extension ConfigSchema {
    /// The `prometheus.*` keys, listed after the others in ``settings``.
    static let prometheusSettings: [Setting] = [
        scalar("prometheus.buckets", "le bounds of the duration histograms in /metrics: fine (100us to 300s, the default) or conventions (the OpenTelemetry MCP conventions' 0.01s to 300s)", { PrometheusOptions.Buckets(rawValue: $0) }, "fine or conventions") { $0.prometheus.buckets = $1 } render: { $0.prometheus.buckets.rawValue },
        boolean("prometheus.resource_uri", "label the resource methods' series in /metrics with mcp_resource_uri (opt-in in the conventions: one series per URI)") { $0.prometheus.resourceURI = $1 } render: { $0.prometheus.resourceURI },
    ]
}
