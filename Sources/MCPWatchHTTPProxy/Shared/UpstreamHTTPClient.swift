import AsyncHTTPClient
import NIOCore

/// The HTTP client the reverse proxy and the stdio front reach the upstream MCP server with, set up once for both.
enum UpstreamHTTPClient {
    /// A client on `eventLoopGroup` that never follows redirects nor decompresses (bodies are relayed as they come),
    /// keeps up to 64 connections to the upstream, and fails at once when the upstream refuses connections (it is down:
    /// answer now instead of retrying until the connect timeout).
    static func make(connectTimeout: Duration, eventLoopGroup: any EventLoopGroup) -> HTTPClient {
        var http = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .nanoseconds(connectTimeout.inNanoseconds)),
            decompression: .disabled)
        http.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        http.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .shared(eventLoopGroup), configuration: http)
    }

    /// The deadline of a request sent now that may take `timeout` to get its response's head.
    static func deadline(after timeout: Duration) -> NIODeadline {
        .now() + .nanoseconds(timeout.inNanoseconds)
    }

    /// Whether a request failed because the upstream did not answer in time.
    static func timedOut(_ error: any Error) -> Bool {
        (error as? HTTPClientError) == .deadlineExceeded || (error as? HTTPClientError) == .readTimeout
    }

    /// An error's text for a message a user reads.
    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError { return "\(error)" }
        return String(describing: error)
    }
}
