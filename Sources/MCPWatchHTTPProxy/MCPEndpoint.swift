import Hummingbird
import MCPWatchCore
import NIOCore

/// What the two MCP endpoints mcpwatch serves (the reverse proxy and the bridge) answer alike.
enum MCPEndpoint {
    /// 405 for a method the transport does not have.
    static func methodNotAllowed() -> Response {
        var response = StreamableHTTPRelay.errorResponse(.methodNotAllowed, id: nil, code: JSONRPCErrorCode.invalidRequest,
            message: "Method Not Allowed: use POST, GET or DELETE")
        response.headers[.allow] = "GET, POST, DELETE"
        return response
    }

    /// A POST's body, or what to answer instead.
    enum Body {
        case received(ByteBuffer)
        case refused(Response)
    }

    /// Reads a POST's body; over `limit` the answer is 413 (counted as an oversized message, never relayed).
    static func body(of request: inout Request, limit: Int, store: MetricsStore) async -> Body {
        do {
            return .received(try await request.collectBody(upTo: limit))
        } catch {
            store.recordAnomaly(.oversizedMessage, direction: .clientToServer, at: store.clock.now(), sample: nil)
            return .refused(StreamableHTTPRelay.errorResponse(.contentTooLarge, id: nil, code: JSONRPCErrorCode.invalidRequest,
                message: "Invalid Request: the body exceeds the limit of \(limit) bytes (--max-message-bytes) and was not relayed"))
        }
    }
}
