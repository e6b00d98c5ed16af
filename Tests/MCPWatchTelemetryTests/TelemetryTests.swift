import Logging
import MCPWatchCore
import Testing
import Tracing
@testable import MCPWatchTelemetry

@Suite struct CallSpanTests {
    func traced(_ call: CompletedCall, session: String? = nil) -> TraceContextTap.TracedCall {
        TraceContextTap.TracedCall(call: call, parent: nil, startedSpan: nil, sessionID: session, endNanos: 2_000_000_000)
    }

    @Test func aToolCallIsNamedAndAttributedByTheConventions() {
        let call = CompletedCall(method: "tools/call", target: "get_time", id: RequestID(json: "\"a-1\""), outcome: .ok,
                                 durationNanos: 1_500_000, finishedAt: MonotonicInstant(nanoseconds: 9))
        let span = CallSpan(traced(call, session: "s1"), transport: "pipe", protocolVersion: "2025-06-18")
        #expect(span.name == "tools/call get_time")
        #expect(span.attributes["mcp.method.name"] == .string("tools/call"))
        #expect(span.attributes["gen_ai.tool.name"] == .string("get_time"))
        #expect(span.attributes["gen_ai.operation.name"] == .string("execute_tool"))
        #expect(span.attributes["jsonrpc.request.id"] == .string("a-1"))
        #expect(span.attributes["network.transport"] == .string("pipe"))
        #expect(span.attributes["mcp.protocol.version"] == .string("2025-06-18"))
        #expect(span.attributes["mcp.session.id"] == .string("s1"))
        #expect(span.attributes["error.type"] == nil)
        #expect(span.errorType == nil)
    }

    @Test func errorsAreRecordedAsTheConventionsSay() {
        let toolError = CompletedCall(method: "tools/call", target: "fail", id: RequestID(2), outcome: .toolError,
                                      durationNanos: 10, finishedAt: MonotonicInstant(nanoseconds: 9), errorMessage: "boom")
        let span = CallSpan(traced(toolError), transport: "tcp", protocolVersion: nil)
        #expect(span.attributes["error.type"] == .string("tool_error"))
        #expect(span.errorMessage == "boom")
        let rpc = CompletedCall(method: "prompts/get", target: "p", id: RequestID(3), outcome: .jsonrpcError,
                                durationNanos: 10, finishedAt: MonotonicInstant(nanoseconds: 9), errorCode: -32602)
        let rpcSpan = CallSpan(traced(rpc), transport: "tcp", protocolVersion: nil)
        #expect(rpcSpan.attributes["rpc.response.status_code"] == .string("-32602"))
        #expect(rpcSpan.attributes["gen_ai.prompt.name"] == .string("p"))
        #expect(rpcSpan.attributes["error.type"] != nil)
    }

    @Test func theNewProtocolHasNoSessionAttribute() {
        let call = CompletedCall(method: "resources/read", target: "file:///a", id: RequestID(1), outcome: .ok,
                                 durationNanos: 10, finishedAt: MonotonicInstant(nanoseconds: 9))
        let span = CallSpan(traced(call, session: "s1"), transport: "tcp", protocolVersion: "2026-07-28")
        #expect(span.attributes["mcp.session.id"] == nil)
        #expect(span.attributes["mcp.resource.uri"] == .string("file:///a"))
        #expect(span.name == "resources/read file:///a")
    }

    @Test func theOTelConfigurationFollowsTheSettings() {
        var settings = TelemetrySettings()
        settings.endpoint = "http://127.0.0.1:4318"
        settings.sampler = .parentBasedTraceIDRatio
        settings.samplerRatio = 0.01
        settings.serviceName = "edge"
        let configuration = TelemetryExporter.otelConfiguration(settings, traces: true, metrics: true, serverName: "time", logger: Logger(label: "test"))
        #expect(configuration.serviceName == "edge")
        #expect(configuration.resourceAttributes["mcp.server.name"] == "time")
        #expect(configuration.traces.otlpExporter.endpoint == "http://127.0.0.1:4318/v1/traces")
        #expect(configuration.metrics.otlpExporter.endpoint == "http://127.0.0.1:4318/v1/metrics")
        #expect(configuration.metrics.valueHistogramBuckets["mcp.server.operation.duration"] == TelemetryExporter.durationBuckets)
        #expect(!configuration.logs.enabled)
    }
}
