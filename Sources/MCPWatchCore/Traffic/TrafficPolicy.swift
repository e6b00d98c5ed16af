/// What traffic control does for one server: concurrency limits and the queue, timeouts, the response cache,
/// circuit breakers and rate limits, server-wide and per tool or method (YAML `traffic.*`, docs/traffic.md).
///
/// Off by default: without a `traffic` section (or a `MCPWATCH_TRAFFIC_...` variable) ``WatchConfiguration/traffic``
/// is nil and the relays stay as transparent as they are. Each part is on only when its settings are there.
public struct TrafficPolicy: Sendable, Equatable {
    /// Calls in flight at the server at once (nil: no limit).
    public var maxConcurrency: Int?
    /// The priority of calls that no tool or method setting names.
    public var priority: TrafficPriority = .normal
    /// Time the server has to answer a call (nil: no timeout).
    public var timeout: Duration?
    /// Calls that may wait for a free slot; one more is answered at once with an error.
    public var queueMaxSize = 100
    /// How long a call may wait for a slot (nil: as long as it takes).
    public var queueTimeout: Duration?
    /// The response cache (nil: off).
    public var cache: CacheSettings?
    /// The server's circuit breaker (nil: none).
    public var breaker: BreakerSettings?
    /// Token buckets.
    public var rateLimits = RateLimits()
    /// The server's own requests to the client (`sampling/createMessage`, `elicitation/create`, `roots/list`) in
    /// flight at once (nil: no limit): for clients that cannot take many at a time.
    public var maxServerRequests: Int?
    /// Settings for one tool (`tools/call` with that name), stronger than `methods`.
    public var tools: [String: Override] = [:]
    /// Settings for one method (`resources/read`, `tools/call`, ...).
    public var methods: [String: Override] = [:]

    /// A policy with nothing switched on (the configuration fills it in).
    public init() {}

    /// Settings that a tool or a method may set for itself.
    public struct Override: Sendable, Equatable {
        /// Calls of this tool or method in flight at once.
        public var maxConcurrency: Int?
        /// Their priority in the queue.
        public var priority: TrafficPriority?
        /// Time the server has to answer one.
        public var timeout: Duration?
        /// How long one may wait for a slot.
        public var queueTimeout: Duration?
        /// A circuit breaker of their own.
        public var breaker: BreakerSettings?

        /// Nothing overridden.
        public init() {}
    }

    /// The response cache's bounds and rules.
    public struct CacheSettings: Sendable, Equatable {
        /// Entries held at most.
        public var maxEntries = 1_000
        /// Bytes of stored responses held at most.
        public var maxBytes = 16 << 20
        /// Freshness of cacheable results that carry no `ttlMs` (older servers); nil: such results are not cached,
        /// as the 2026-07-28 rules say (absent `ttlMs` means immediately stale).
        public var ttl: Duration?
        /// The scope of results that carry no `cacheScope`: `private` (the default) keys them by the caller's
        /// authorization context, so that nothing is shared that the server did not say may be.
        public var unhintedScope: CacheScope = .private
        /// The tools whose `tools/call` results may be cached (idempotent ones), with their freshness.
        public var tools: [String: Duration] = [:]

        /// The defaults.
        public init() {}
    }

    /// When a breaker opens and how it closes again.
    public struct BreakerSettings: Sendable, Equatable {
        /// Open after this many failures in a row (nil: not by count).
        public var consecutiveFailures: Int?
        /// Open when the error rate (percent) in `window` is above this, over at least `minimumCalls` (nil: not by rate).
        public var errorRatePercent: Double?
        /// Calls in the window needed before the error rate counts.
        public var minimumCalls = 20
        /// The window of the error rate.
        public var window: Duration = .seconds(60)
        /// How long it stays open before probe calls are let through.
        public var coolDown: Duration = .seconds(30)
        /// Probe calls let through when half-open; all must succeed to close, one failure opens it again.
        public var probes = 1

        /// The defaults (neither condition set: the configuration must set one).
        public init() {}
    }

    /// Token buckets: server-wide, per client and per tool.
    public struct RateLimits: Sendable, Equatable {
        /// All calls to the server together.
        public var server: RateLimit?
        /// Each client on its own.
        public var client: RateLimit?
        /// What a client is, over HTTP.
        public var clientKey: ClientKey = .session
        /// Calls of one tool.
        public var tools: [String: RateLimit] = [:]

        /// None.
        public init() {}

        /// Whether any bucket is configured.
        public var isEmpty: Bool { server == nil && client == nil && tools.isEmpty }
    }

    /// One token bucket's size.
    public struct RateLimit: Sendable, Equatable {
        /// Calls per second, on average.
        public var rate: Double
        /// Calls at once after a quiet spell.
        public var burst: Double

        /// Creates a limit.
        public init(rate: Double, burst: Double) {
            self.rate = rate
            self.burst = burst
        }
    }

    /// How a client is told apart for its rate limit.
    public enum ClientKey: String, Sendable, Equatable, CaseIterable {
        /// The Streamable HTTP session (over stdio: the one client).
        case session
        /// The API key or bearer token (hashed by the relay).
        case apiKey = "api_key"
        /// The `clientInfo` name (from `initialize` or 2026-07-28 `_meta`).
        case clientInfo = "client_info"
    }

    /// The rules for one call, with tool settings over method settings over server settings.
    public struct CallRules: Sendable, Equatable {
        /// The queue's group whose limit applies, if any (`tool:NAME` or `method:NAME`).
        public var group: String?
        /// The priority.
        public var priority: TrafficPriority
        /// The server's time to answer.
        public var timeout: Duration?
        /// The time it may wait for a slot.
        public var queueTimeout: Duration?
        /// The breaker of its own, as `tool:NAME` or `method:NAME`, if it has one.
        public var breaker: String?
        /// For a cacheable call: how long its result stays fresh when it carries no hint (nil: not cacheable).
        public var cacheTTL: Duration?
        /// Whether the call may be cached at all (a listed method, or a tool named in `cache.tools`).
        public var cacheable: Bool
    }

    /// The methods whose results the cache serves (2026-07-28 "Cacheable Results"), besides listed tools.
    public static let cacheableMethods: Set<String> = [
        "tools/list", "prompts/list", "resources/list", "resources/templates/list", "resources/read", "server/discover",
    ]

    /// Requests that never wait in the queue: the handshake and liveness checks.
    public static let unqueuedMethods: Set<String> = ["initialize", "ping"]

    /// The rules for a request.
    /// - Parameters:
    ///   - method: the request's method.
    ///   - tool: for `tools/call`, the tool's name.
    public func rules(method: String, tool: String?) -> CallRules {
        let toolOverride = method == "tools/call" ? tool.flatMap { tools[$0] } : nil
        let methodOverride = methods[method]
        var group: String?
        if toolOverride?.maxConcurrency != nil, let tool { group = "tool:" + tool }
        else if methodOverride?.maxConcurrency != nil { group = "method:" + method }
        var breaker: String?
        if toolOverride?.breaker != nil, let tool { breaker = "tool:" + tool }
        else if methodOverride?.breaker != nil { breaker = "method:" + method }
        var cacheable = false
        var cacheTTL: Duration?
        if let cache {
            if method == "tools/call" {
                if let tool, let ttl = cache.tools[tool] { cacheable = true; cacheTTL = ttl }
            } else if Self.cacheableMethods.contains(method) {
                cacheable = true
                cacheTTL = cache.ttl
            }
        }
        return CallRules(
            group: group,
            priority: toolOverride?.priority ?? methodOverride?.priority ?? priority,
            timeout: toolOverride?.timeout ?? methodOverride?.timeout ?? timeout,
            queueTimeout: toolOverride?.queueTimeout ?? methodOverride?.queueTimeout ?? queueTimeout,
            breaker: breaker, cacheTTL: cacheTTL, cacheable: cacheable)
    }

    /// The admission queue's limits, or nil when no concurrency limit is set anywhere (then nothing is queued).
    public var admissionLimits: AdmissionLimits? {
        var groups: [String: Int] = [:]
        for (name, o) in tools { if let limit = o.maxConcurrency { groups["tool:" + name] = limit } }
        for (name, o) in methods { if let limit = o.maxConcurrency { groups["method:" + name] = limit } }
        guard maxConcurrency != nil || !groups.isEmpty else { return nil }
        return .init(maxConcurrency: maxConcurrency, groupLimits: groups, maxQueued: queueMaxSize, queueTimeout: queueTimeout)
    }

    /// The limits of a second queue for the server's requests to the client, or nil when `server_requests` sets
    /// none (they wait as client calls do, with the same queue size and timeout).
    public var serverRequestLimits: AdmissionLimits? {
        maxServerRequests.map { AdmissionLimits(maxConcurrency: $0, maxQueued: queueMaxSize, queueTimeout: queueTimeout) }
    }

    /// Every breaker the policy asks for, by name (`server`, `tool:NAME`, `method:NAME`).
    public var breakers: [String: BreakerSettings] {
        var all: [String: BreakerSettings] = [:]
        if let breaker { all["server"] = breaker }
        for (name, o) in tools { if let b = o.breaker { all["tool:" + name] = b } }
        for (name, o) in methods { if let b = o.breaker { all["method:" + name] = b } }
        return all
    }
}
