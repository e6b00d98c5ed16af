import ArgumentParser
import MCPWatchCore

/// `--otel-*`: OTLP export of a span per call and of the figures (the `otel.*` keys; the `OTEL_*` variables win).
struct TelemetryOptions: ParsableArguments {
    @Flag(name: .long, help: "Export a span per call over OTLP/HTTP (also otel.traces, OTEL_TRACES_EXPORTER=otlp).")
    var otelTraces = false

    @Flag(name: .long, help: "Export the figures over OTLP/HTTP by the MCP conventions (also otel.metrics, OTEL_METRICS_EXPORTER=otlp).")
    var otelMetrics = false

    @Option(name: .long, help: ArgumentHelp("The OTLP/HTTP collector's base URL (default http://localhost:4318).", valueName: "url"))
    var otelEndpoint: String?

    @Option(name: .long, help: ArgumentHelp("Which spans are kept: \(TelemetrySettings.Sampler.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "sampler"))
    var otelSampler: String?

    @Option(name: .long, help: ArgumentHelp("The ratio of the ratio samplers, 0 to 1.", valueName: "ratio"))
    var otelSamplerArg: String?

    @Flag(name: .long, help: "Write mcpwatch's span context into each forwarded request's params._meta.traceparent (only that key changes).")
    var otelPropagate = false

    func validate() throws {
        if let otelEndpoint, TelemetrySettings.parseEndpoint(otelEndpoint) == nil {
            throw ValidationError("--otel-endpoint: expected an http:// or https:// URL with a host, found '\(otelEndpoint)'")
        }
        if let otelSampler, TelemetrySettings.Sampler(rawValue: otelSampler.lowercased()) == nil {
            throw ValidationError("--otel-sampler: unknown sampler '\(otelSampler)'; expected one of \(TelemetrySettings.Sampler.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let otelSamplerArg, TelemetrySettings.parseRatio(otelSamplerArg) == nil {
            throw ValidationError("--otel-sampler-arg: expected a ratio from 0 to 1, found '\(otelSamplerArg)'")
        }
    }

    func apply(to configuration: inout WatchConfiguration) {
        if otelTraces { configuration.telemetry.traces = true }
        if otelMetrics { configuration.telemetry.metrics = true }
        if let otelEndpoint { configuration.telemetry.endpoint = TelemetrySettings.parseEndpoint(otelEndpoint) }
        if let sampler = otelSampler.flatMap({ TelemetrySettings.Sampler(rawValue: $0.lowercased()) }) { configuration.telemetry.sampler = sampler }
        if let ratio = otelSamplerArg.flatMap(TelemetrySettings.parseRatio) { configuration.telemetry.samplerRatio = ratio }
        if otelPropagate { configuration.telemetry.propagate = true }
    }
}
