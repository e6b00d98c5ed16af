/// An answer that mcpwatch gave instead of the server: recorded as such, so that the server's own latency and
/// error figures stay the server's (a cache hit does not make it look fast, shed load does not make it look broken).
public enum TrafficOutcome: String, Sendable, Equatable, Hashable, CaseIterable, Codable {
    /// Answered from the response cache.
    case cached
    /// Waited in the queue longer than `queue.timeout`; never reached the server.
    case queuedOut = "queued_out"
    /// Turned away at once: the queue was full.
    case rejected
    /// The server did not answer within `timeout`; the client got mcpwatch's error, the server a cancellation.
    case timedOut = "timed_out"
    /// A circuit breaker was open.
    case circuitOpen = "circuit_open"
    /// A token bucket was empty.
    case rateLimited = "rate_limited"

    /// The JSON-RPC error code of the answer (nil for ``cached``, which answers with the server's result).
    public var errorCode: Int? {
        switch self {
        case .cached: nil
        case .rejected: TrafficErrorCode.queueFull
        case .queuedOut: TrafficErrorCode.queuedOut
        case .timedOut: TrafficErrorCode.timedOut
        case .circuitOpen: TrafficErrorCode.circuitOpen
        case .rateLimited: TrafficErrorCode.rateLimited
        }
    }
}

/// The JSON-RPC error codes of traffic control, in the implementation-defined range -32000..-32019 (-32000 to
/// -32002 are the relays' own: ``JSONRPCErrorCode``).
public enum TrafficErrorCode {
    /// The queue was full (``TrafficOutcome/rejected``).
    public static let queueFull = -32010
    /// The call waited longer than its queue timeout (``TrafficOutcome/queuedOut``).
    public static let queuedOut = -32011
    /// The server did not answer in time (``TrafficOutcome/timedOut``).
    public static let timedOut = -32012
    /// A circuit breaker is open (``TrafficOutcome/circuitOpen``).
    public static let circuitOpen = -32013
    /// A rate limit was reached (``TrafficOutcome/rateLimited``).
    public static let rateLimited = -32014
}
