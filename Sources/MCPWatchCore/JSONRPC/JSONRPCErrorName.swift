/// Names the JSON-RPC error codes the MCP specification defines, for `error.type`, by the revision in use.
///
/// The standard JSON-RPC codes stay numbers (`-32602`), as the OpenTelemetry MCP conventions write them. The codes
/// MCP itself defines get names: in 2026-07-28, `-32020` `header_mismatch`, `-32021`
/// `missing_required_client_capability`, `-32022` `unsupported_protocol_version` (and `-32002` has no meaning
/// there); up to 2025-11-25, `-32002` `resource_not_found` and `-32042` `url_elicitation_required`.
public enum JSONRPCErrorName {
    /// The first protocol revision whose error codes ``errorType(code:modern:)`` names as modern.
    public static let modernRevision = "2026-07-28"

    /// Whether a protocol version is 2026-07-28 or later (dates compare as text).
    public static func isModern(_ protocolVersion: String?) -> Bool {
        guard let protocolVersion else { return false }
        return protocolVersion >= modernRevision
    }

    /// The `error.type` of a JSON-RPC error code.
    public static func errorType(code: Int, modern: Bool) -> String {
        if modern {
            switch code {
            case -32020: return "header_mismatch"
            case -32021: return "missing_required_client_capability"
            case -32022: return "unsupported_protocol_version"
            default: break
            }
        } else {
            switch code {
            case -32002: return "resource_not_found"
            case -32042: return "url_elicitation_required"
            default: break
            }
        }
        return String(code)
    }

    /// The `error.type` values that are the client's mistakes, not the server's failures: parse error, invalid
    /// request, method not found, invalid params (the OpenTelemetry MCP conventions do not count them as server
    /// errors), resource not found, and the 2026-07-28 header, capability and version errors, plus cancellations.
    public static let clientErrorTypes: Set<String> = [
        "-32700", "-32600", "-32601", "-32602", "resource_not_found", "header_mismatch",
        "missing_required_client_capability", "unsupported_protocol_version", "cancelled",
    ]

    /// Whether an `error.type` is the client's mistake (see ``clientErrorTypes``).
    public static func isClientError(_ errorType: String) -> Bool { clientErrorTypes.contains(errorType) }
}
