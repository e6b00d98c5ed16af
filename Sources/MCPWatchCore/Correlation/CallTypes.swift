/// Which way a message travels.
public enum Direction: String, Sendable, Codable, Hashable {
    /// From the MCP client to the server (`tools/call`, `initialize`, ...).
    case clientToServer = "client_to_server"
    /// From the server to the client (`sampling/createMessage`, `roots/list`, ...).
    case serverToClient = "server_to_client"

    /// The other direction.
    public var reversed: Direction { self == .clientToServer ? .serverToClient : .clientToServer }
}

/// Who sent a request: the user's client, or mcpwatch itself (the dashboard's explorer).
public enum CallOrigin: String, Sendable, Codable, Hashable {
    /// The MCP client in front of the proxy.
    case client
    /// The dashboard's tool explorer, through mcpwatch.
    case dashboard
}

/// How a call ended.
public enum CallOutcome: String, Sendable, Codable, Hashable, CaseIterable {
    /// A successful result.
    case ok
    /// A JSON-RPC error response.
    case jsonrpcError = "jsonrpc_error"
    /// A result with `isError: true` (the tool ran and reported failure).
    case toolError = "tool_error"
    /// Cancelled by `notifications/cancelled` before it was answered.
    case cancelled
    /// Never answered: the server went away first.
    case lost
}

/// What measurement groups calls by: the method and, for tools, prompts and resources, the target.
public struct TargetKey: Hashable, Sendable {
    /// The JSON-RPC method.
    public var method: String
    /// The tool or prompt name, or the resource URI; nil for methods without one.
    public var target: String?

    /// Creates a key.
    public init(method: String, target: String?) {
        self.method = method
        self.target = target
    }

    /// The key that targets fold into once the configured maximum is reached.
    public static let folded = TargetKey(method: "__other__", target: "__other__")
}

/// A stable reference to one target's statistics in a ``MetricsStore``, so completing a call needs no hashing.
public struct TargetHandle: Hashable, Sendable {
    let index: Int
}

/// One finished call, as the correlator reports it.
public struct CompletedCall: Sendable, Equatable {
    /// The request's method.
    public var method: String
    /// The tool/prompt/resource, if any.
    public var target: String?
    /// The direction of the request.
    public var direction: Direction
    /// Who sent the request.
    public var origin: CallOrigin
    /// The request id.
    public var id: RequestID
    /// How it ended.
    public var outcome: CallOutcome
    /// From request to response, on the monotonic clock.
    public var durationNanos: UInt64
    /// When it ended.
    public var finishedAt: MonotonicInstant
    /// Size of the request on the wire, in bytes.
    public var requestBytes: Int
    /// Size of the response on the wire, in bytes (0 when there was none).
    public var responseBytes: Int
    /// The JSON-RPC error code, for `jsonrpcError`.
    public var errorCode: Int?
    /// What went wrong, truncated: the error message or the tool's error text.
    public var errorMessage: String?
    /// The store's handle for this call's target, when the request was registered with a store.
    public var handle: TargetHandle?

    /// Creates a finished call.
    public init(
        method: String, target: String?, direction: Direction = .clientToServer, origin: CallOrigin = .client,
        id: RequestID, outcome: CallOutcome, durationNanos: UInt64, finishedAt: MonotonicInstant,
        requestBytes: Int = 0, responseBytes: Int = 0, errorCode: Int? = nil, errorMessage: String? = nil,
        handle: TargetHandle? = nil
    ) {
        self.method = method
        self.target = target
        self.direction = direction
        self.origin = origin
        self.id = id
        self.outcome = outcome
        self.durationNanos = durationNanos
        self.finishedAt = finishedAt
        self.requestBytes = requestBytes
        self.responseBytes = responseBytes
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.handle = handle
    }

    /// The OpenTelemetry `error.type` of this call: the JSON-RPC code as text, `tool_error`, `cancelled`, `lost`;
    /// nil when it succeeded.
    public var errorType: String? {
        switch outcome {
        case .ok: nil
        case .jsonrpcError: errorCode.map(String.init) ?? "jsonrpc_error"
        case .toolError: "tool_error"
        case .cancelled: "cancelled"
        case .lost: "lost"
        }
    }
}
