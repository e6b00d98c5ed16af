/// What the inspector learned of one JSON-RPC message: only the top-level fields that measuring needs.
public struct MessageInfo: Sendable, Equatable {
    /// The shape of a JSON-RPC message.
    public enum Kind: Sendable, Equatable {
        /// Has `method` and `id`.
        case request
        /// Has `method` and no `id`.
        case notification
        /// Has `id` and `result`.
        case result
        /// Has `id` and `error`.
        case error
        /// An object that is none of the above.
        case invalid
    }

    /// The shape of the message.
    public var kind: Kind = .invalid
    /// The request id (requests and responses).
    public var id: RequestID?
    /// The method (requests and notifications).
    public var method: String?
    /// `params.name` (the tool of `tools/call`, the prompt of `prompts/get`).
    public var paramsName: String?
    /// `params.uri` (the resource of `resources/read` and subscriptions).
    public var paramsURI: String?
    /// `params.requestId` of `notifications/cancelled`.
    public var cancelledRequestID: RequestID?
    /// `error.code` of an error response.
    public var errorCode: Int?
    /// `error.message` of an error response, truncated.
    public var errorMessage: String?
    /// `result.isError == true`: a tool reported failure in a successful JSON-RPC response.
    public var isToolError: Bool = false
    /// For a tool error, the first text content, truncated (the reason the tool gave).
    public var toolErrorText: String?
    /// `result.resultType` (2026-07-28), when it is one measurement tells apart; nil when absent (`complete`).
    public var resultType: ResultType?
    /// A hash of `requestState` (of an `input_required` result, or of the retry's `params`): what ties the rounds of
    /// one logical call together across their different ids. The value itself is never kept.
    public var requestStateHash: UInt64?
    /// `params.inputResponses` is present: the request is a retry that answers an `input_required` result.
    public var hasInputResponses: Bool = false
    /// `params.taskId` (`tasks/get`, `tasks/update`, `tasks/cancel`) or `result.taskId` (a created or polled task).
    public var taskID: String?
    /// `result.status` when it names a task status (read for task results and `tasks/get` answers).
    public var taskStatus: TaskStatus?
    /// `result.result.isError == true`: a completed task whose tool reported failure.
    public var taskResultIsError: Bool = false
    /// `result.error.code`: the JSON-RPC error of a failed task.
    public var taskErrorCode: Int?
    /// `params._meta["io.modelcontextprotocol/subscriptionId"]`: the `subscriptions/listen` stream a notification
    /// belongs to.
    public var subscriptionID: RequestID?

    /// Creates an empty (invalid) message description.
    public init() {}

    /// The call's target: the tool or prompt name, or the resource URI, as measurement groups it.
    public var target: String? {
        switch method {
        case "tools/call", "prompts/get": paramsName
        case "resources/read", "resources/subscribe", "resources/unsubscribe": paramsURI
        default: nil
        }
    }
}

/// The `resultType` of a 2026-07-28 result, where it changes what a response means.
public enum ResultType: UInt8, Sendable, Equatable {
    /// `complete`: the final result.
    case complete
    /// `input_required`: the server needs input first; the client retries with a new id.
    case inputRequired
    /// `task` (the tasks extension): the work goes on; the client polls `tasks/get`.
    case task
    /// Any other value.
    case other
}

/// A task's status in the tasks extension (`io.modelcontextprotocol/tasks`).
public enum TaskStatus: String, Sendable, Equatable {
    /// Still running.
    case working
    /// Waiting for the client (`tasks/update`).
    case inputRequired = "input_required"
    /// Finished with a result.
    case completed
    /// Finished with a JSON-RPC error.
    case failed
    /// Cancelled.
    case cancelled

    /// Whether the task has ended.
    public var isTerminal: Bool { self == .completed || self == .failed || self == .cancelled }
}

/// The result of inspecting one frame (one line of the stdio transport).
public enum InspectedFrame: Sendable, Equatable {
    /// A single JSON-RPC message (an object).
    case message(MessageInfo)
    /// A JSON-RPC batch: each element inspected on its own.
    case batch([MessageInfo])
    /// Not valid JSON-RPC framing; relayed anyway and counted as an anomaly.
    case invalid(AnomalyKind)
    /// A line with nothing but whitespace: relayed, not counted.
    case empty
}

/// What was wrong with a frame or a message, for the anomaly counters.
public enum AnomalyKind: String, Sendable, CaseIterable, Codable, Hashable {
    /// The line is not valid JSON.
    case invalidJSON = "invalid_json"
    /// The line has bytes that are not valid UTF-8.
    case invalidUTF8 = "invalid_utf8"
    /// Valid JSON, but neither an object nor an array (a batch).
    case notObjectOrBatch = "not_object_or_batch"
    /// An object that is neither request, notification nor response.
    case invalidMessage = "invalid_message"
    /// A response whose id matches no pending request.
    case unknownResponseID = "unknown_response_id"
    /// A request whose id is already pending in the same direction.
    case duplicateRequestID = "duplicate_request_id"
    /// A line longer than the configured maximum; it was not relayed.
    case oversizedMessage = "oversized_message"
    /// An empty batch (`[]`), which JSON-RPC calls invalid.
    case emptyBatch = "empty_batch"
    /// A Streamable HTTP POST whose `Mcp-Method` header names another method than its body (relayed all the same).
    case headerMethodMismatch = "header_method_mismatch"
    /// A Streamable HTTP POST whose `Mcp-Name` header names another tool, prompt or resource than its body.
    case headerNameMismatch = "header_name_mismatch"
    /// A 2026-07-28 Streamable HTTP POST without the `Mcp-Method` (or, where the body has one, `Mcp-Name`) header.
    case headerMissing = "header_missing"
    /// A request whose `params._meta.traceparent` is not a valid W3C value (traced as a new root, relayed unchanged;
    /// counted only while OTLP tracing is on).
    case malformedTraceparent = "malformed_traceparent"
}
