import HTTPTypes
import Hummingbird
import Logging
import MCPWatchCore
import NIOCore

/// What the two MCP endpoints mcpwatch serves (the reverse proxy and the bridge) check and answer alike: the
/// checks every request passes first, and the JSON-RPC error answers.
enum MCPEndpoint {
    /// The `Mcp-Session-Id` header, as HTTP fields name it and as AsyncHTTPClient's headers look it up.
    static let sessionHeader = HTTPField.Name("Mcp-Session-Id")!
    static let sessionHeaderName = "mcp-session-id"

    /// The checks every request passes before the transport sees it: where it comes from (``crossSiteRefusal(_:hosts:origins:logger:)``),
    /// then the path.
    /// - Returns: the answer for a request that fails one (403, 404), or nil.
    static func refusal(of request: Request, hosts: HostPolicy, origins: OriginPolicy, path: String, logger: Logger) -> Response? {
        if let refusal = crossSiteRefusal(request, hosts: hosts, origins: origins, logger: logger) { return refusal }
        guard request.uri.path == path else {
            return error(.notFound, "Not Found: the MCP endpoint is \(path)")
        }
        // Every MCP client sends JSON; a text/plain or form POST is what a foreign page can send without a preflight.
        if request.method == .post, !CrossSiteGuard.isJSON(request.headers[.contentType]) {
            return error(.unsupportedMediaType,
                "Unsupported Media Type: a POST to the MCP endpoint must send Content-Type: application/json (found \(request.headers[.contentType].map { "'\($0)'" } ?? "none"))")
        }
        return nil
    }

    /// The answer to a request from where it must not come (a `Host` not allowed: DNS rebinding; an `Origin` not
    /// allowed: a foreign page), or nil when it may pass. Checked before anything else, on every method and path.
    static func crossSiteRefusal(_ request: Request, hosts: HostPolicy, origins: OriginPolicy, logger: Logger) -> Response? {
        // A second Host header (the first became the authority): one name would pass the check and another be meant.
        if request.head.authority != nil, request.headers[.init("Host")!] != nil {
            return error(.badRequest, "Bad Request: more than one Host header")
        }
        if let host = request.head.authority, !hosts.allows(host: host) {
            logger.warning("refused a request for a host name that is not allowed", metadata: ["host": "\(host)"])
            return errorResponse(.forbidden, id: nil, code: JSONRPCErrorCode.invalidRequest, message: hosts.refusal(host: host))
        }
        guard origins.allows(origin: request.headers[.origin]) else {
            logger.warning("refused a request from a foreign origin", metadata: ["origin": "\(request.headers[.origin] ?? "")"])
            return error(.forbidden,
                "Forbidden: origin \(request.headers[.origin] ?? "") is not allowed (DNS rebinding protection); allow it with --allow-origin")
        }
        return nil
    }

    /// Counts a POST whose `Mcp-Method` / `Mcp-Name` headers disagree with its body as an anomaly
    /// (``MCPRequestHeaders``); the request is relayed unchanged all the same: the server decides.
    static func checkHeaders(of request: Request, posted: PostedMessage, store: MetricsStore) {
        let method = request.headers[methodHeader], name = request.headers[nameHeader]
        let version = request.headers[protocolVersionHeader]
        guard method != nil || name != nil || version != nil,
              let kind = MCPRequestHeaders.mismatch(method: method, name: name, protocolVersion: version, body: posted) else { return }
        let sample = "Mcp-Method: \(method ?? "(none)"), Mcp-Name: \(name ?? "(none)"); body: \(posted.method ?? "") \(posted.target ?? "")"
        store.recordAnomaly(kind, direction: .clientToServer, at: store.clock.now(), sample: String(sample.prefix(200)))
    }

    static let methodHeader = HTTPField.Name(MCPRequestHeaders.methodHeader)!
    static let nameHeader = HTTPField.Name(MCPRequestHeaders.nameHeader)!
    static let protocolVersionHeader = HTTPField.Name("MCP-Protocol-Version")!

    /// 405 for a method the transport does not have.
    static func methodNotAllowed() -> Response {
        var response = error(.methodNotAllowed, "Method Not Allowed: use POST, GET or DELETE")
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
            return .refused(Self.error(.contentTooLarge,
                "Invalid Request: the body exceeds the limit of \(limit) bytes (--max-message-bytes) and was not relayed"))
        }
    }

    // MARK: Error answers

    /// An error about the request itself (JSON-RPC -32600, `id: null`) with an HTTP status.
    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        errorResponse(status, id: nil, code: JSONRPCErrorCode.invalidRequest, message: message)
    }

    /// A JSON-RPC error response: one object for one id (or none: `id: null`), an array for several.
    static func errorResponse(_ status: HTTPResponse.Status, ids: [JSONRPCID], code: Int, message: String) -> Response {
        var body = ByteBuffer()
        if ids.count <= 1 {
            body.writeBytes(errorObject(id: ids.first, code: code, message: message))
        } else {
            body.writeString("[")
            for (i, id) in ids.enumerated() {
                if i > 0 { body.writeString(",") }
                body.writeBytes(errorObject(id: id, code: code, message: message))
            }
            body.writeString("]")
        }
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: body))
    }

    /// A JSON-RPC error response for one request (nil: `id: null`).
    static func errorResponse(_ status: HTTPResponse.Status, id: JSONRPCID?, code: Int, message: String) -> Response {
        errorResponse(status, ids: id.map { [$0] } ?? [], code: code, message: message)
    }

    /// One JSON-RPC error object, without a line end.
    static func errorObject(id: JSONRPCID?, code: Int, message: String) -> [UInt8] {
        var line = JSONRPCErrorResponse.line(id: id ?? JSONRPCID(json: "null"), code: code, message: message)
        line.removeLast()  // the newline
        return line
    }

    /// An SSE `message` event carrying one JSON-RPC message.
    static func event(_ json: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(json.count + 24)
        out.append(contentsOf: "event: message\ndata: ".utf8)
        out.append(contentsOf: json)
        out.append(contentsOf: "\n\n".utf8)
        return out
    }
}

/// A JSON-RPC request id (Hummingbird has a `RequestID` of its own).
typealias JSONRPCID = MCPWatchCore.RequestID
