/// The JSON-RPC error answers of traffic control: `{"jsonrpc":"2.0","id":ID,"error":{"code":C,"message":M,"data":D}}`
/// with `data` saying what happened and, where it applies, when to retry:
/// `{"outcome":"rate_limited","source":"mcpwatch","retryAfterMs":1200,"scope":"tool:search",...}`.
public enum TrafficErrorResponse {
    /// The queue was full.
    public static func queueFull(id: RequestID, maxQueued: Int) -> [UInt8] {
        body(id: id, outcome: .rejected,
             message: "mcpwatch: the server is busy and \(maxQueued) call\(maxQueued == 1 ? "" : "s") already wait; try again later",
             retryAfter: nil, fields: [("maxQueued", "\(maxQueued)")])
    }

    /// The call waited in the queue longer than its timeout; it never reached the server.
    public static func queuedOut(id: RequestID, waited: Duration, timeout: Duration) -> [UInt8] {
        body(id: id, outcome: .queuedOut,
             message: "mcpwatch: the call waited \(ConfigValueParsing.format(waited)) for a free slot (queue timeout \(ConfigValueParsing.format(timeout))) and was not sent to the server",
             retryAfter: nil, fields: [("waitedMs", "\(waited.inNanoseconds / 1_000_000)"), ("timeoutMs", "\(timeout.inNanoseconds / 1_000_000)")])
    }

    /// The server did not answer in time; it was sent `notifications/cancelled`.
    public static func timedOut(id: RequestID, timeout: Duration) -> [UInt8] {
        body(id: id, outcome: .timedOut,
             message: "mcpwatch: the server did not answer within \(ConfigValueParsing.format(timeout)); the call was cancelled",
             retryAfter: nil, fields: [("timeoutMs", "\(timeout.inNanoseconds / 1_000_000)")])
    }

    /// A circuit breaker is open.
    /// - Parameter breaker: `server`, `tool:NAME` or `method:NAME`.
    public static func circuitOpen(id: RequestID, breaker: String, retryAfter: Duration) -> [UInt8] {
        body(id: id, outcome: .circuitOpen,
             message: "mcpwatch: the circuit breaker '\(breaker)' is open after repeated failures; retry after \(ConfigValueParsing.format(retryAfter))",
             retryAfter: retryAfter, fields: [("breaker", JSONStringLiteral.quoted(breaker))])
    }

    /// A token bucket was empty.
    public static func rateLimited(id: RequestID, limited: RateLimiter.Limited) -> [UInt8] {
        body(id: id, outcome: .rateLimited,
             message: "mcpwatch: rate limit '\(limited.scope)' reached (\(format(limited.limit.rate)) calls/s, burst \(format(limited.limit.burst))); retry after \(ConfigValueParsing.format(limited.retryAfter))",
             retryAfter: limited.retryAfter,
             fields: [("scope", JSONStringLiteral.quoted(limited.scope)), ("rate", format(limited.limit.rate)), ("burst", format(limited.limit.burst))])
    }

    /// A traffic-control error answer, as one line (with its newline) for stdio; HTTP transports drop the newline.
    /// - Parameter fields: more `data` members: names and raw JSON values.
    public static func body(id: RequestID, outcome: TrafficOutcome, message: String, retryAfter: Duration?,
                            fields: [(String, String)]) -> [UInt8] {
        var out = "{\"jsonrpc\":\"2.0\",\"id\":\(id.json),\"error\":{\"code\":\(outcome.errorCode ?? TrafficErrorCode.queueFull),\"message\":"
        out += JSONStringLiteral.quoted(message)
        out += ",\"data\":{\"outcome\":\"\(outcome.rawValue)\",\"source\":\"mcpwatch\""
        if let retryAfter {
            // Whole milliseconds, rounded up, so that a client waiting this long finds the way open.
            let nanos = max(0, retryAfter.inNanoseconds)
            out += ",\"retryAfterMs\":\((nanos + 999_999) / 1_000_000)"
        }
        for (name, value) in fields { out += ",\(JSONStringLiteral.quoted(name)):\(value)" }
        out += "}}}\n"
        return Array(out.utf8)
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }
}
