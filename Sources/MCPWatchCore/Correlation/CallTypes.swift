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
    /// An interim round of a multi round-trip request (`resultType: "input_required"`): neither ok nor an error;
    /// the client retries with a new id, and the logical call ends with the last round.
    case inputRequired = "input_required"
    /// The server created a task (`resultType: "task"`): neither ok nor an error; the logical call ends when
    /// `tasks/get` reports a terminal status.
    case task

    /// Whether the call failed: counts against the success rate. Interim rounds (`input_required`, `task`) do not.
    public var isFailure: Bool {
        switch self {
        case .ok, .inputRequired, .task: false
        case .jsonrpcError, .toolError, .cancelled, .lost: true
        }
    }

    /// Whether this is an interim round of a longer logical call.
    public var isInterim: Bool { self == .inputRequired || self == .task }
}

/// One logical call: from the first request of a `tools/call`, `prompts/get` or `resources/read` to its final
/// result, across `input_required` rounds (each a round trip with a new id, tied by `requestState`) and the
/// `tasks/get` polls of a task it created.
///
/// It rides on the ``CompletedCall`` of the round trip that ended it (the last round, or the poll that saw the task
/// end); ``MetricsStore`` records it on its own target beside the round trips.
public struct LogicalCall: Sendable, Equatable {
    /// The method of the first request.
    public var method: String
    /// Its tool, prompt or resource.
    public var target: String?
    /// The store handle of that target, when known.
    public var handle: TargetHandle?
    /// How it ended (never an interim outcome).
    public var outcome: CallOutcome
    /// The JSON-RPC error code, for `jsonrpcError` (of the last round, or of the failed task).
    public var errorCode: Int?
    /// From the first request to the final result, in nanoseconds.
    public var durationNanos: UInt64
    /// Round trips of the request itself: 1 plus one per `input_required` answer.
    public var rounds: Int
    /// Time between an `input_required` answer and the client's retry, summed: the time spent waiting for the
    /// client (its user, its model), in nanoseconds.
    public var clientWaitNanos: UInt64
    /// `tasks/get` polls, for a call that created a task.
    public var polls: Int
    /// The task's id, for a call that created a task.
    public var taskID: String?

    /// Creates a logical call.
    public init(
        method: String, target: String?, handle: TargetHandle? = nil, outcome: CallOutcome, errorCode: Int? = nil,
        durationNanos: UInt64, rounds: Int, clientWaitNanos: UInt64 = 0, polls: Int = 0, taskID: String? = nil
    ) {
        self.method = method
        self.target = target
        self.handle = handle
        self.outcome = outcome
        self.errorCode = errorCode
        self.durationNanos = durationNanos
        self.rounds = rounds
        self.clientWaitNanos = clientWaitNanos
        self.polls = polls
        self.taskID = taskID
    }

    /// The methods whose answers may be `input_required` or a task, and so make logical calls.
    public static func isLogicalMethod(_ method: String) -> Bool {
        method == "tools/call" || method == "prompts/get" || method == "resources/read"
    }
}

/// A long-lived stream of server notifications.
public enum StreamKind: String, Sendable, Codable, Hashable, CaseIterable {
    /// A 2026-07-28 `subscriptions/listen` request.
    case listen = "subscriptions/listen"
    /// The standalone `GET` SSE stream of Streamable HTTP up to 2025-11-25.
    case get = "GET"
}

/// Why a stream ended; none of these is a failure.
public enum StreamCloseReason: String, Sendable, Codable, Hashable, CaseIterable {
    /// The server answered the `subscriptions/listen` request (its graceful end).
    case server
    /// The client cancelled it (`notifications/cancelled`) or closed the HTTP stream.
    case client
    /// The transport ended under it (the server exited, the connection closed).
    case transport
    /// The server refused it with a JSON-RPC error.
    case error
}

/// A stream that ended.
public struct StreamClosure: Sendable, Equatable {
    /// Which kind of stream.
    public var kind: StreamKind
    /// Why it ended.
    public var reason: StreamCloseReason
    /// How long it was open, in nanoseconds.
    public var lifetimeNanos: UInt64
    /// Notifications it delivered.
    public var notifications: Int

    /// Creates a closure.
    public init(kind: StreamKind, reason: StreamCloseReason, lifetimeNanos: UInt64, notifications: Int = 0) {
        self.kind = kind
        self.reason = reason
        self.lifetimeNanos = lifetimeNanos
        self.notifications = notifications
    }
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
    /// The logical call this round trip ended, when it was longer than this one round trip (an `input_required`
    /// retry's final round, or the `tasks/get` poll that saw a task end); nil for a call of one round.
    public var logical: LogicalCall?
    /// The request's `params.arguments` (or `params`), truncated, when `store.capture` asks; nil otherwise.
    public var arguments: String?
    /// The answer's `result` (or `error`), truncated, when `store.capture` is `full`; nil otherwise.
    public var result: String?

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
    public var errorType: String? { errorType(modern: false) }

    /// The `error.type` under the protocol in use: the codes the MCP specification defines are named
    /// (``JSONRPCErrorName``), by the meaning they have in that revision.
    /// - Parameter modern: the protocol in use is 2026-07-28 or later.
    public func errorType(modern: Bool) -> String? {
        switch outcome {
        case .ok, .inputRequired, .task: nil
        case .jsonrpcError: errorCode.map { JSONRPCErrorName.errorType(code: $0, modern: modern) } ?? "jsonrpc_error"
        case .toolError: "tool_error"
        case .cancelled: "cancelled"
        case .lost: "lost"
        }
    }
}
