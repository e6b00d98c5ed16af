import MCPWatchCore
import Tracing

/// What a finished call's span says, by the OpenTelemetry MCP conventions (`docs/gen-ai/mcp.md` of
/// open-telemetry/semantic-conventions-genai): its name `{mcp.method.name} {target}` and its attributes. Pure, so
/// that the mapping is tested without an exporter.
public struct CallSpan: Sendable {
    /// `{mcp.method.name} {target}`, or the method alone.
    public var name: String
    /// The span's attributes.
    public var attributes: [String: SpanAttribute]
    /// `error.type`, nil when the call succeeded.
    public var errorType: String?
    /// The error's text, for the span's status.
    public var errorMessage: String?

    /// The span of `traced`.
    /// - Parameters:
    ///   - transport: `pipe` (stdio) or `tcp` (HTTP), the `network.transport`.
    ///   - protocolVersion: the MCP revision in use, when known.
    public init(_ traced: TraceContextTap.TracedCall, transport: String, protocolVersion: String?) {
        let call = traced.call
        name = TraceContextTap.spanName(method: call.method, target: call.target)
        var attributes: [String: SpanAttribute] = [
            "mcp.method.name": .string(call.method),
            "jsonrpc.request.id": .string(Self.requestIDText(call.id)),
            "network.transport": .string(transport),
        ]
        if let target = call.target {
            switch call.method {
            case "tools/call":
                attributes["gen_ai.tool.name"] = .string(target)
                attributes["gen_ai.operation.name"] = .string("execute_tool")
            case "prompts/get": attributes["gen_ai.prompt.name"] = .string(target)
            case "resources/read", "resources/subscribe", "resources/unsubscribe": attributes["mcp.resource.uri"] = .string(target)
            default: break
            }
        }
        let modern = protocolVersion.map { $0 >= "2026-07-28" } ?? false
        if let protocolVersion { attributes["mcp.protocol.version"] = .string(protocolVersion) }
        // Only the older protocol versions have sessions (the conventions: mcp.session.id, span only).
        if let session = traced.sessionID, !modern { attributes["mcp.session.id"] = .string(session) }
        if let code = call.errorCode, call.outcome == .jsonrpcError { attributes["rpc.response.status_code"] = .string(String(code)) }
        let errorType = call.errorType(modern: modern)
        if let errorType { attributes["error.type"] = .string(errorType) }
        if let logical = call.logical {
            attributes["mcpwatch.logical.rounds"] = .int64(Int64(logical.rounds))
            if logical.polls > 0 { attributes["mcpwatch.logical.polls"] = .int64(Int64(logical.polls)) }
        }
        self.attributes = attributes
        self.errorType = errorType
        errorMessage = call.errorMessage
    }

    /// The id as the conventions show it: a string id without its quotes, a number as written.
    static func requestIDText(_ id: RequestID) -> String {
        let json = id.json
        if json.count >= 2, json.first == "\"", json.last == "\"" { return String(json.dropFirst().dropLast()) }
        return json
    }
}
