extension ConfigSchema {
    /// The `http.metrics_*` keys: how `/metrics` writes buckets and resource URIs (``PrometheusOptions``).
    static let metricsSettings: [Setting] = [
        scalar("http.metrics_buckets", "le bounds of the duration histograms in /metrics: fine (100us to 300s, the default) or conventions (the OpenTelemetry MCP conventions' 0.01s to 300s)", { PrometheusOptions.Buckets(rawValue: $0) }, "fine or conventions") { $0.prometheus.buckets = $1 } render: { $0.prometheus.buckets.rawValue },
        boolean("http.metrics_resource_uri", "label the resource methods' series in /metrics with mcp_resource_uri (opt-in in the conventions: one series per URI)") { $0.prometheus.resourceURI = $1 } render: { $0.prometheus.resourceURI },
    ]
}

extension [ConfigSchema.Setting] {
    /// These settings with `more` put after the last of their section (at the end for a new section), so that each
    /// section stays in one piece for ``WatchConfiguration/renderYAML()``.
    func groupedBySection(adding more: [ConfigSchema.Setting]) -> [ConfigSchema.Setting] {
        var all = self
        for setting in more {
            let section = setting.key.prefix { $0 != "." }
            let last = all.lastIndex { $0.key.prefix { $0 != "." } == section }
            all.insert(setting, at: last.map { $0 + 1 } ?? all.endIndex)
        }
        return all
    }
}
