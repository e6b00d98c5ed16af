/// How `/metrics` writes what the OpenTelemetry MCP conventions leave to the instrumentation (`http.metrics_*`).
public struct PrometheusOptions: Sendable, Equatable {
    /// The bucket bounds of the duration histograms.
    public enum Buckets: String, Sendable, CaseIterable {
        /// 100 µs to 300 s in 20 buckets (the default): resolves sub-millisecond stdio calls, and holds every bound
        /// of ``conventions``.
        case fine
        /// The conventions' advised bounds, 0.01 s to 300 s in 14 buckets: the same series as an OpenTelemetry
        /// SDK's, fewer lines per target.
        case conventions
    }

    /// The `le` bounds written.
    public var buckets: Buckets = .fine
    /// Whether `mcp_resource_uri` labels the resource methods' series. Opt-in in the conventions (one series per
    /// URI is unbounded); off, the calls to every resource count under their method alone.
    public var resourceURI = false

    /// The defaults.
    public init(buckets: Buckets = .fine, resourceURI: Bool = false) {
        self.buckets = buckets
        self.resourceURI = resourceURI
    }

    /// The conventions' advised bucket bounds for `mcp.*.operation.duration` and `mcp.*.session.duration`, in
    /// microseconds (semantic-conventions-genai, docs/gen-ai/mcp.md).
    public static let conventionBoundsMicros: [UInt64] = [
        10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000, 2_000_000, 5_000_000, 10_000_000,
        30_000_000, 60_000_000, 120_000_000, 300_000_000,
    ]
}
