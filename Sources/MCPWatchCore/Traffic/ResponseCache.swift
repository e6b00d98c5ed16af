/// The response cache: least recently used entries go first, bounded by a number of entries and by bytes.
///
/// It follows the 2026-07-28 caching rules (docs/traffic.md): a result is fresh for its `ttlMs` (for results with
/// no hint, the configured TTL; absent both, it is not cached); `cacheScope: "private"` results are stored under the
/// caller's authorization context and never served to another; `input_required` results, errors and `isError`
/// results are never stored (and requests with a progress token or a retry's inputs never get a key, see
/// ``ResponseCacheKey/make(request:variant:)``). It keeps the server's own bytes and where the id sits in them, so
/// a hit is those bytes with only the id changed. `list_changed` and `resources/updated` notifications invalidate.
///
/// A pure structure driven by the relay under its lock; every operation is O(1) apart from invalidation
/// (O(entries invalidated)). Time passed in.
public struct ResponseCache: Sendable {
    /// A stored answer.
    public struct Hit: Sendable, Equatable {
        /// The server's bytes for the whole response (without a line end).
        public var bytes: [UInt8]
        /// Where the response's id sits in `bytes`.
        public var idRange: Range<Int>
        /// Its scope.
        public var scope: CacheScope
        /// How much longer it is fresh.
        public var remainingNanoseconds: UInt64

        /// The response for a caller: the same bytes with the caller's id in place of the first caller's.
        public func response(id: RequestID) -> [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count - idRange.count + id.json.utf8.count)
            out.append(contentsOf: bytes[..<idRange.lowerBound])
            out.append(contentsOf: id.json.utf8)
            out.append(contentsOf: bytes[idRange.upperBound...])
            return out
        }
    }

    /// What storing a response did.
    public enum Store: Sendable, Equatable {
        /// Kept, fresh for this long, with this scope.
        case stored(ttl: Duration, scope: CacheScope)
        /// Not kept, and why.
        case notStored(NotStored)
    }

    /// Why a response was not kept.
    public enum NotStored: String, Sendable, Equatable {
        /// A JSON-RPC error.
        case error
        /// A tool result with `isError: true`.
        case toolError = "tool_error"
        /// `resultType: "input_required"` (or another type than `complete`): an interim result.
        case inputRequired = "input_required"
        /// `ttlMs` of 0 (or negative): immediately stale.
        case immediatelyStale = "immediately_stale"
        /// No `ttlMs` and no configured TTL for it.
        case noTTL = "no_ttl"
        /// A private result with no authorization context to keep it under.
        case privateWithoutContext = "private_without_context"
        /// Larger than the cache's byte bound.
        case tooLarge = "too_large"
        /// Not a response object with an id and a result.
        case notAResponse = "not_a_response"
    }

    /// Counters and sizes, for `/metrics` and the report.
    public struct Statistics: Sendable, Equatable {
        /// Lookups answered from the cache.
        public var hits: UInt64 = 0
        /// Lookups that found nothing fresh.
        public var misses: UInt64 = 0
        /// Responses stored.
        public var stores: UInt64 = 0
        /// Entries dropped to stay within the bounds.
        public var evictions: UInt64 = 0
        /// Entries dropped by notifications.
        public var invalidations: UInt64 = 0
        /// Entries dropped because they were no longer fresh.
        public var expirations: UInt64 = 0
        /// Entries held.
        public var entries = 0
        /// Bytes held (responses and keys).
        public var bytes = 0
    }

    private struct StoreKey: Hashable, Sendable {
        var key: ResponseCacheKey
        /// nil for public entries; the authorization context for private ones.
        var context: String?
    }

    private struct Node: Sendable {
        var storeKey: StoreKey
        var hit: Hit
        var expiresAt: MonotonicInstant
        var cost: Int
        var previous: Int
        var next: Int
    }

    /// Entries held at most.
    public let maxEntries: Int
    /// Bytes held at most.
    public let maxBytes: Int
    /// Freshness for results without `ttlMs` when the caller gives none.
    public let unhintedTTL: Duration?
    /// The scope of results without `cacheScope`.
    public let unhintedScope: CacheScope
    /// Counters and sizes.
    public private(set) var statistics = Statistics()

    private var nodes: [Node?] = []
    private var free: [Int] = []
    private var index: [StoreKey: Int] = [:]
    private var byMethod: [String: Set<Int>] = [:]
    private var byURI: [String: Set<Int>] = [:]
    /// The most recently used slot, and the least.
    private var head = -1
    private var tail = -1

    /// Creates an empty cache.
    public init(maxEntries: Int, maxBytes: Int, unhintedTTL: Duration? = nil, unhintedScope: CacheScope = .private) {
        self.maxEntries = max(1, maxEntries)
        self.maxBytes = max(1, maxBytes)
        self.unhintedTTL = unhintedTTL
        self.unhintedScope = unhintedScope
    }

    /// Creates the cache a policy asks for.
    public init(settings: TrafficPolicy.CacheSettings) {
        self.init(maxEntries: settings.maxEntries, maxBytes: settings.maxBytes, unhintedTTL: settings.ttl, unhintedScope: settings.unhintedScope)
    }

    /// A fresh answer for a request, if there is one: a public one, or a private one stored under `context`.
    /// - Parameter context: the caller's authorization context (token, session or client; nil when unknown, and
    ///   then private entries are never served).
    public mutating func lookup(_ key: ResponseCacheKey, context: String?, now: MonotonicInstant) -> Hit? {
        if let hit = find(StoreKey(key: key, context: nil), now: now) { return hit }
        if let context, let hit = find(StoreKey(key: key, context: context), now: now) { return hit }
        statistics.misses += 1
        return nil
    }

    private mutating func find(_ storeKey: StoreKey, now: MonotonicInstant) -> Hit? {
        guard let slot = index[storeKey] else { return nil }
        let expiresAt = nodes[slot]!.expiresAt
        guard now < expiresAt else {
            remove(slot)
            statistics.expirations += 1
            return nil
        }
        moveToFront(slot)
        statistics.hits += 1
        var hit = nodes[slot]!.hit
        hit.remainingNanoseconds = expiresAt.nanoseconds(since: now)
        return hit
    }

    /// Stores the server's response to a request, if the rules allow.
    /// - Parameters:
    ///   - response: the server's bytes for one JSON-RPC response (without a line end).
    ///   - context: the caller's authorization context, for private results.
    ///   - ttl: freshness when the result carries no `ttlMs` (a tool's configured TTL); default ``unhintedTTL``.
    ///     For `tools/call` results it is the only freshness (the specification gives them no hints).
    @discardableResult
    public mutating func store(_ response: [UInt8], for key: ResponseCacheKey, context: String?, ttl: Duration? = nil,
                               now: MonotonicInstant) -> Store {
        let inspection = response.withUnsafeBufferPointer { CachedResultInspection(response: $0) }
        guard let inspection else { return .notStored(.notAResponse) }
        if inspection.isErrorResponse { return .notStored(.error) }
        if inspection.isToolError { return .notStored(.toolError) }
        if !inspection.isComplete { return .notStored(.inputRequired) }
        let freshness: Duration
        if key.method != "tools/call", let hint = inspection.ttlMilliseconds {
            guard hint > 0 else { return .notStored(.immediatelyStale) }
            freshness = .milliseconds(hint)
        } else {
            guard let configured = ttl ?? unhintedTTL, configured > .zero else { return .notStored(.noTTL) }
            freshness = configured
        }
        let scope = inspection.scope ?? unhintedScope
        guard scope == .public || context != nil else { return .notStored(.privateWithoutContext) }
        let storeKey = StoreKey(key: key, context: scope == .public ? nil : context)
        let cost = response.count + key.cost + (storeKey.context?.utf8.count ?? 0)
        guard cost <= maxBytes else { return .notStored(.tooLarge) }
        if let old = index[storeKey] { remove(old) }
        // A public answer replaces this caller's private one for the same key, so that lookups find the newest.
        if scope == .public, let context, let old = index[StoreKey(key: key, context: context)] { remove(old) }
        // And a private answer replaces the public one, which lookups would find first: the server has changed its mind.
        if scope == .private, let old = index[StoreKey(key: key, context: nil)] { remove(old) }
        while statistics.entries >= maxEntries || statistics.bytes + cost > maxBytes, tail >= 0 {
            remove(tail)
            statistics.evictions += 1
        }
        let node = Node(storeKey: storeKey, hit: Hit(bytes: response, idRange: inspection.idRange, scope: scope, remainingNanoseconds: 0),
                        expiresAt: now.advanced(byNanoseconds: UInt64(freshness.inNanoseconds)), cost: cost, previous: -1, next: head)
        let slot: Int
        if let reused = free.popLast() { slot = reused; nodes[slot] = node } else { slot = nodes.count; nodes.append(node) }
        if head >= 0 { nodes[head]!.previous = slot }
        head = slot
        if tail < 0 { tail = slot }
        index[storeKey] = slot
        byMethod[key.method, default: []].insert(slot)
        if let uri = key.uri { byURI[uri, default: []].insert(slot) }
        statistics.entries += 1
        statistics.bytes += cost
        statistics.stores += 1
        return .stored(ttl: freshness, scope: scope)
    }

    /// The methods whose entries a notification invalidates (`notifications/resources/updated` is by URI instead).
    public static func invalidatedMethods(by notification: String) -> [String] {
        switch notification {
        case "notifications/tools/list_changed": ["tools/list", "tools/call", "server/discover"]
        case "notifications/prompts/list_changed": ["prompts/list", "server/discover"]
        case "notifications/resources/list_changed": ["resources/list", "resources/templates/list", "server/discover"]
        default: []
        }
    }

    /// Drops what a server notification makes stale: lists on `list_changed`, a resource's reads on
    /// `notifications/resources/updated` (`uri` from its params). Other notifications change nothing.
    /// - Returns: the entries dropped.
    @discardableResult
    public mutating func invalidate(notification: String, uri: String? = nil) -> Int {
        var slots: Set<Int> = []
        if notification == "notifications/resources/updated" {
            guard let uri else { return 0 }
            slots = byURI[uri] ?? []
        } else {
            for method in Self.invalidatedMethods(by: notification) { slots.formUnion(byMethod[method] ?? []) }
        }
        for slot in slots { remove(slot) }
        statistics.invalidations += UInt64(slots.count)
        return slots.count
    }

    /// Drops everything (a server restarted, say).
    public mutating func removeAll() {
        let count = statistics.entries
        while tail >= 0 { remove(tail) }
        statistics.invalidations += UInt64(count)
    }

    private mutating func moveToFront(_ slot: Int) {
        guard slot != head else { return }
        unlink(slot)
        nodes[slot]!.previous = -1
        nodes[slot]!.next = head
        if head >= 0 { nodes[head]!.previous = slot }
        head = slot
        if tail < 0 { tail = slot }
    }

    private mutating func unlink(_ slot: Int) {
        let node = nodes[slot]!
        if node.previous >= 0 { nodes[node.previous]!.next = node.next } else { head = node.next }
        if node.next >= 0 { nodes[node.next]!.previous = node.previous } else { tail = node.previous }
    }

    private mutating func remove(_ slot: Int) {
        guard let node = nodes[slot] else { return }
        unlink(slot)
        index[node.storeKey] = nil
        byMethod[node.storeKey.key.method]?.remove(slot)
        if byMethod[node.storeKey.key.method]?.isEmpty == true { byMethod[node.storeKey.key.method] = nil }
        if let uri = node.storeKey.key.uri {
            byURI[uri]?.remove(slot)
            if byURI[uri]?.isEmpty == true { byURI[uri] = nil }
        }
        statistics.entries -= 1
        statistics.bytes -= node.cost
        nodes[slot] = nil
        free.append(slot)
    }
}
