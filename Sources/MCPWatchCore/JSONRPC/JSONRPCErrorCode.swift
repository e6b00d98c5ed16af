/// JSON-RPC error codes mcpwatch answers with.
public enum JSONRPCErrorCode {
    /// The request was not valid (here: too large to relay).
    public static let invalidRequest = -32600
    /// The server exited before answering (server-defined range).
    public static let serverExited = -32000
    /// The response was too large to relay (server-defined range).
    public static let responseTooLarge = -32001
    /// The upstream could not be reached or timed out (server-defined range).
    public static let upstreamUnavailable = -32002
}
