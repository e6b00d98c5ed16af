/// The token buckets of a policy: one for the server, one per client, one per limited tool. A call goes only when
/// every bucket that applies has a token, and then takes one from each.
public struct RateLimiter: Sendable {
    /// A call turned away.
    public struct Limited: Sendable, Equatable {
        /// The bucket that said no: `server`, `client` or `tool:NAME` (the one with the longest wait).
        public var scope: String
        /// When to try again.
        public var retryAfter: Duration
        /// The bucket's size.
        public var limit: TrafficPolicy.RateLimit
    }

    /// The limits.
    public let limits: TrafficPolicy.RateLimits
    private var server: TokenBucket?
    private var tools: [String: TokenBucket] = [:]
    private var clients: [String: TokenBucket] = [:]
    private let maxClients: Int

    /// Creates full buckets.
    /// - Parameter maxClients: client buckets kept at most; full ones (the same as new ones) are dropped first.
    public init(limits: TrafficPolicy.RateLimits, maxClients: Int = 10_000) {
        self.limits = limits
        self.maxClients = max(1, maxClients)
        server = limits.server.map { TokenBucket(rate: $0.rate, burst: $0.burst) }
        for (name, limit) in limits.tools { tools[name] = TokenBucket(rate: limit.rate, burst: limit.burst) }
    }

    /// Client buckets held now.
    public var clientCount: Int { clients.count }

    /// Takes a token from each bucket that applies, or none when one of them is empty.
    /// - Parameters:
    ///   - tool: for `tools/call`, the tool's name.
    ///   - client: the client's key (session, API key hash or `clientInfo` name, as `rate_limits.client.by` says).
    /// - Returns: nil when the call may go.
    public mutating func take(tool: String?, client: String?, now: MonotonicInstant) -> Limited? {
        var worst: Limited?
        func consider(_ decision: TokenBucket.Decision, _ scope: String, _ limit: TrafficPolicy.RateLimit) {
            guard case .limited(let wait) = decision else { return }
            if worst == nil || wait > worst!.retryAfter { worst = Limited(scope: scope, retryAfter: wait, limit: limit) }
        }
        if var bucket = server, let limit = limits.server {
            consider(bucket.check(now: now), "server", limit)
            server = bucket
        }
        if let tool, var bucket = tools[tool], let limit = limits.tools[tool] {
            consider(bucket.check(now: now), "tool:" + tool, limit)
            tools[tool] = bucket
        }
        var clientBucket: TokenBucket?
        if let client, let limit = limits.client {
            var bucket = clients[client] ?? TokenBucket(rate: limit.rate, burst: limit.burst)
            consider(bucket.check(now: now), "client", limit)
            clientBucket = bucket
        }
        if let worst { return worst }
        _ = server?.take(now: now)
        if let tool, tools[tool] != nil { _ = tools[tool]!.take(now: now) }
        if let client, var bucket = clientBucket {
            _ = bucket.take(now: now)
            if clients[client] == nil && clients.count >= maxClients { pruneClients(now: now) }
            clients[client] = bucket
        }
        return nil
    }

    /// Drops full client buckets; if that frees nothing, the half that has been idle longest is as good as full
    /// soon, so half of them go (a flood of distinct clients is the server bucket's to stop, not these).
    private mutating func pruneClients(now: MonotonicInstant) {
        for key in Array(clients.keys) where clients[key]!.isFull(now: now) { clients[key] = nil }
        if clients.count >= maxClients {
            let ranked = clients.map { ($0.key, $0.value.available(now: now)) }.sorted { $0.1 > $1.1 }
            for (key, _) in ranked.prefix(max(1, clients.count / 2)) { clients[key] = nil }
        }
    }
}
