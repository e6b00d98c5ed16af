import Hummingbird
import Logging
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

    /// The answer to a request from where it must not come (a `Host` not allowed: DNS rebinding; an `Origin` not
    /// allowed: a foreign page), or nil when it may pass. Checked before anything else, on every method and path.
    static func crossSiteRefusal(_ request: Request, hosts: HostPolicy, origins: OriginPolicy, logger: Logger) -> Response? {
        if let host = request.head.authority, !hosts.allows(host: host) {
            logger.warning("refused a request for a host name that is not allowed", metadata: ["host": "\(host)"])
            return StreamableHTTPRelay.errorResponse(.forbidden, id: nil, code: JSONRPCErrorCode.invalidRequest, message: hosts.refusal(host: host))
        }
        guard origins.allows(origin: request.headers[.origin]) else {
            logger.warning("refused a request from a foreign origin", metadata: ["origin": "\(request.headers[.origin] ?? "")"])
            return StreamableHTTPRelay.errorResponse(.forbidden, id: nil, code: JSONRPCErrorCode.invalidRequest,
                message: "Forbidden: origin \(request.headers[.origin] ?? "") is not allowed (DNS rebinding protection); allow it with --allow-origin")
        }
        return nil
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
