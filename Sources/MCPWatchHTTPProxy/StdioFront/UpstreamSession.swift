/// What a Streamable HTTP client must remember about its session, and the headers that follow from it.
///
/// Pure state: ``StdioToHTTPRelay`` keeps one behind a lock and asks it for the headers of each request.
public struct UpstreamSession: Sendable, Equatable {
    /// The `Mcp-Session-Id` the server assigned in its answer to `initialize` (nil: stateless server, or not yet).
    public var sessionID: String?
    /// The protocol version the server chose in its `initialize` result.
    public var protocolVersion: String?
    /// The last SSE event id seen on the standalone GET stream (to resume with `Last-Event-ID`).
    public var lastEventID: String?

    /// Creates an empty session.
    public init(sessionID: String? = nil, protocolVersion: String? = nil, lastEventID: String? = nil) {
        self.sessionID = sessionID
        self.protocolVersion = protocolVersion
        self.lastEventID = lastEventID
    }

    /// What kind of request the headers are for.
    public enum RequestKind: Sendable {
        /// A POST carrying a message or a batch.
        case post
        /// The standalone SSE stream.
        case listen
        /// The end of the session.
        case delete
    }

    /// The headers of a request to the upstream, as (name, value) pairs in sending order.
    public func headers(for kind: RequestKind) -> [(String, String)] {
        var out: [(String, String)] = []
        switch kind {
        case .post:
            out.append(("Accept", "application/json, text/event-stream"))
            out.append(("Content-Type", "application/json"))
        case .listen:
            out.append(("Accept", "text/event-stream"))
            if let lastEventID { out.append(("Last-Event-ID", lastEventID)) }
        case .delete:
            break
        }
        if let sessionID { out.append(("Mcp-Session-Id", sessionID)) }
        if let protocolVersion { out.append(("MCP-Protocol-Version", protocolVersion)) }
        return out
    }
}
