import HTTPTypes
import MCPWatchCore

/// MCP 2026-07-28 at the bridge: a request that names a modern version (or is `server/discover`) comes without a
/// session, and is answered without one, on the same endpoint as the older era's sessions.
///
/// Every such POST goes to one child of its own kind (the stateless child, started by the first), as a
/// ``BridgeSession`` that is no session (`isSession` false: measured, but not listed in `/api/sessions`), with its ids
/// rewritten by ``SharedServer`` as for `--shared-server`, so that two clients' request ids never collide. One child
/// and not a pool: the protocol keeps no state between requests, a stdio server answers requests concurrently, and
/// one process is what a client that launched the server itself would have. It is apart from the sessions' children
/// (and from the `--shared-server` one) because a server speaks one era per connection: an SDK 2.3 server that has
/// answered a modern request refuses `initialize`, and the other way round. A legacy-only server gets the probe as it
/// would from a client that launched it, and its answer (an error) goes back as it is, so the client falls back to
/// `initialize` as it would directly.
extension StdioBridge {
    /// A 2026-07-28 POST's routing session, its stateless child started if need be.
    func openStateless() -> Result<BridgeSession, Refusal> {
        guard !table.withLock({ $0.isStopping }) else {
            return .failure(Refusal(response: Self.error(.serviceUnavailable, "Service Unavailable: mcpwatch is shutting down")))
        }
        do {
            try startStatelessChild()
        } catch {
            let text = (error as? WatchError)?.message ?? "\(error)"
            logger.error("cannot start the MCP server", metadata: ["error": "\(text)"])
            return .failure(Refusal(response: Self.error(.badGateway, "MCP server could not be started: \(text)")))
        }
        let number = statelessPostCount.add(1, ordering: .relaxed).newValue
        let post = BridgeSession(id: "stateless-\(number)", store: store, isSession: false)
        stateless.add(post)
        return .success(post)
    }

    /// A 2026-07-28 POST is over: its routes are forgotten.
    func endStateless(_ post: BridgeSession, reason: String) {
        statelessExchanges.withLock { $0[post.id] = nil }
        stateless.remove(post)
        post.end(code: JSONRPCErrorCode.serverExited, message: "The answer ended first: \(reason)")
    }

    /// The client closed a 2026-07-28 POST's stream before its answer: that is its cancellation, which the stdio
    /// server hears as `notifications/cancelled` (measured as the client's).
    func cancelStateless(_ ids: [JSONRPCID], of post: BridgeSession) {
        for id in post.take(ids) {
            let line = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":\(id.json),\"reason\":\"the client closed the stream\"}}"
            let bytes = Array(line.utf8)
            var inspector = MessageInspector()
            bytes.withUnsafeBytes {
                _ = post.recorder.observe(frame: $0, direction: .clientToServer, at: store.clock.now(), inspector: &inspector)
                _ = stateless.send($0, from: post)
            }
        }
    }

    private func startStatelessChild() throws {
        try statelessStart.withLock { _ in
            guard stateless.child == nil else { return }
            let limit = configuration.maxMessageBytes
            let stateless = stateless
            let child = try BridgeChild.start(command: configuration.command, maxMessageBytes: limit) { output, inspector in
                switch output {
                case .line(let line): stateless.receive(line, inspector: &inspector)
                case .oversized(let prefix, let length): stateless.receiveOversized(prefix: prefix, length: length, limit: limit, inspector: &inspector)
                }
            } exited: { [weak self] child, exit in
                self?.childExited(child, exit: exit, sessions: stateless.detach(child))
            }
            stateless.attach(child)
            serverStarted(child)
        }
    }

    /// The HTTP status a 2026-07-28 server gives a JSON-RPC error alone (nil: 200), as the specification and the
    /// SDKs do: a parse error, an invalid request or parameters, a header mismatch, a missing capability and an
    /// unsupported version are 400, an unknown method 404.
    static func modernStatus(ofError object: [UInt8]) -> HTTPResponse.Status? {
        let code: Int? = object.withUnsafeBytes { bytes in
            guard let range = JSONValueLocator.range(of: [Array("error".utf8), Array("code".utf8)], in: bytes) else { return nil }
            return Int(String(decoding: bytes[range], as: UTF8.self))
        }
        switch code {
        case -32700, -32600, -32602, -32020, -32021, -32022: return .badRequest
        case -32601: return .notFound
        default: return nil
        }
    }
}
