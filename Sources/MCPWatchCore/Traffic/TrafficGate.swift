import Synchronization

/// Traffic control for one server, in front of the relay: for each message from a client it decides whether the
/// message goes to the server now, waits in the queue, or is answered at once by mcpwatch (a cache hit, a full
/// queue, an open breaker, an empty token bucket); for each message from the server it releases queued calls,
/// stores cacheable answers, invalidates the cache on `list_changed` and `resources/updated`, feeds the breakers,
/// and drops the late answers of calls that timed out.
///
/// It composes the pure engine (``AdmissionQueue``, ``TimeoutTracker``, ``ResponseCache``, ``CircuitBreaker``,
/// ``RateLimiter``) under one lock and does no I/O: every call returns what the relay must write, and the relay
/// writes it after the lock is released. Queued calls are measured by the relay only when they are released, so a
/// call's server latency starts when it is written to the server; answers mcpwatch gives in the server's place are
/// never measured as the server's, only recorded in ``TrafficStats``.
///
/// Timeouts need a clock that fires: ``nextDeadline()`` and ``expire(now:)`` (``TrafficTimer`` drives them on a
/// thread of its own), and ``onEarlierDeadline`` tells the timer when a new deadline comes before the one it waits for.
///
/// Only built when ``WatchConfiguration/traffic`` is set; without it the relays have no gate and do no extra work.
public final class TrafficGate: Sendable {
    /// A call: its request id and, over HTTP, the session it came on (ids are the client's, unique per session).
    public struct CallKey: Hashable, Sendable {
        /// The transport session (nil over stdio).
        public var session: String?
        /// The request id.
        public var id: RequestID

        /// Creates a key.
        public init(session: String?, id: RequestID) {
            self.session = session
            self.id = id
        }
    }

    /// Who sent a call, as far as the cache's scopes and the rate limits care.
    public struct Caller: Sendable, Equatable {
        /// The transport session (nil over stdio).
        public var session: String?
        /// The authorization context that private cache entries are kept under (a hash of the token, the session,
        /// or over stdio the one client); nil: private entries are neither served nor stored.
        public var context: String?
        /// The client's key for its rate limit (session, API key hash or `clientInfo`, as `rate_limits.client.by` says).
        public var clientKey: String?

        /// Creates a caller.
        public init(session: String?, context: String?, clientKey: String?) {
            self.session = session
            self.context = context
            self.clientKey = clientKey
        }

        /// The one client of a stdio relay.
        public static let stdio = Caller(session: nil, context: "stdio", clientKey: "stdio")
    }

    /// A message the relay must write to the server (measuring it first): a queued call now released, or the
    /// `notifications/cancelled` of a call that timed out.
    public struct ServerWrite: Sendable {
        /// The call it belongs to.
        public var key: CallKey
        /// The bytes, as the client sent them (a cancellation: mcpwatch's own line).
        public var frame: [UInt8]
        /// The inspection of `frame`, for the recorder.
        public var inspected: InspectedFrame
    }

    /// An answer mcpwatch gives a client in the server's place.
    public struct ClientAnswer: Sendable {
        /// The call it answers.
        public var key: CallKey
        /// One JSON-RPC response, ending in a newline (HTTP transports drop it).
        public var bytes: [UInt8]
    }

    /// What the relay must write after a gate call.
    public struct Actions: Sendable {
        /// To the server, in order.
        public var toServer: [ServerWrite] = []
        /// To clients.
        public var toClients: [ClientAnswer] = []

        /// Nothing to do.
        public var isEmpty: Bool { toServer.isEmpty && toClients.isEmpty }

        /// Nothing.
        public init() {}
    }

    /// What happens to one message from a client.
    public enum Disposition: Sendable {
        /// Relay it now (measure and write it as ever).
        case forward
        /// The gate keeps it: it goes to the server later (in ``Actions/toServer``) or is answered by mcpwatch.
        case hold
        /// Do not relay it, answer nothing (the cancellation of a call that never reached the server).
        case drop
        /// Answer the client with these bytes (one response ending in a newline) instead of relaying.
        case answer([UInt8])
    }

    private struct Call: Sendable {
        var target: TargetKey
        var id: RequestID
        var arrivedAt: MonotonicInstant
        /// Set once the call has gone to the server (nil while it waits).
        var admittedAt: MonotonicInstant?
        var breakers: [(name: String, admission: CircuitBreaker.Admission)]
        var cacheKey: ResponseCacheKey?
        var cacheTTL: Duration?
        var context: String?
        var timeout: Duration?
        /// While it waits: its bytes and their inspection.
        var held: (frame: [UInt8], inspected: InspectedFrame)?
    }

    private struct State: Sendable {
        var queue: AdmissionQueue<CallKey>?
        var timeouts = TimeoutTracker<CallKey>()
        var cache: ResponseCache?
        var breakers: [String: CircuitBreaker] = [:]
        var limiter: RateLimiter?
        var calls: [CallKey: Call] = [:]
        /// Calls answered with a timeout whose late answer may still come: their targets, to count the drop.
        var timedOut: [CallKey: TargetKey] = [:]
        /// The deadline the timer waits for (nil: it waits for nothing).
        var armed: MonotonicInstant?
    }

    /// The policy in force.
    public let policy: TrafficPolicy
    /// Where what traffic control does is recorded.
    public let stats: TrafficStats
    private let clock: any WatchClock
    private let state: Mutex<State>
    private let wake = Mutex<(@Sendable () -> Void)?>(nil)
    /// Whether any timeout is configured, so that a relay starts a timer only when one can fire.
    public let needsTimer: Bool

    private static let maxRememberedTimeouts = 10_000

    /// Creates the gate a policy asks for.
    /// - Parameters:
    ///   - stats: where to record (shared with `/metrics`, the API and the dashboard).
    ///   - clock: the time source (injected in tests).
    public init(policy: TrafficPolicy, stats: TrafficStats, clock: any WatchClock = SystemWatchClock()) {
        self.policy = policy
        self.stats = stats
        self.clock = clock
        var state = State()
        state.queue = policy.admissionLimits.map { AdmissionQueue(limits: $0) }
        state.cache = policy.cache.map { ResponseCache(settings: $0) }
        for (name, settings) in policy.breakers {
            state.breakers[name] = CircuitBreaker(name: name, settings: settings, clock: clock)
            stats.breakerAdded(name)
        }
        if !policy.rateLimits.isEmpty { state.limiter = RateLimiter(limits: policy.rateLimits) }
        self.state = Mutex(state)
        needsTimer = policy.timeout != nil || policy.queueTimeout != nil
            || policy.tools.values.contains { $0.timeout != nil || $0.queueTimeout != nil }
            || policy.methods.values.contains { $0.timeout != nil || $0.queueTimeout != nil }
    }

    /// Called (outside the lock) when a deadline comes before the one the timer waits for: the timer's wake-up.
    public func onEarlierDeadline(_ body: @escaping @Sendable () -> Void) { wake.withLock { $0 = body } }

    /// Calls waiting in the queue now.
    public var queuedCount: Int { state.withLock { $0.queue?.queuedCount ?? 0 } }

    // MARK: From the client

    /// A message from a client, before it is measured or relayed.
    /// - Parameters:
    ///   - frame: the message's bytes as read (a stdio line with its newline, or an HTTP body).
    ///   - inspected: its inspection (the relay measures it with the recorder only when it is relayed).
    ///   - now: when it arrived.
    /// - Returns: what to do with it, and what else to write (calls a cancellation released).
    public func fromClient(frame: UnsafeRawBufferPointer, inspected: InspectedFrame, caller: Caller,
                           now: MonotonicInstant) -> (Disposition, Actions) {
        guard case .message(let info) = inspected else { return (.forward, Actions()) }
        switch info.kind {
        case .request:
            return request(info, frame: frame, inspected: inspected, caller: caller, now: now)
        case .notification where info.method == "notifications/cancelled":
            guard let id = info.cancelledRequestID else { return (.forward, Actions()) }
            return cancelled(CallKey(session: caller.session, id: id), now: now)
        default:
            return (.forward, Actions())
        }
    }

    private func request(_ info: MessageInfo, frame: UnsafeRawBufferPointer, inspected: InspectedFrame, caller: Caller,
                         now: MonotonicInstant) -> (Disposition, Actions) {
        guard let id = info.id, let method = info.method, !TrafficPolicy.unqueuedMethods.contains(method) else {
            return (.forward, Actions())
        }
        let key = CallKey(session: caller.session, id: id)
        let tool = method == "tools/call" ? info.paramsName : nil
        let rules = policy.rules(method: method, tool: tool)
        let target = TargetKey(method: method, target: info.target)
        var wakeTimer = false
        let disposition: Disposition = state.withLock { state in
            // A client reusing an id that is still open: relayed as it is, the server's to answer.
            guard state.calls[key] == nil else { return .forward }
            var call = Call(target: target, id: id, arrivedAt: now, admittedAt: nil, breakers: [], cacheKey: nil,
                            cacheTTL: rules.cacheTTL, context: caller.context, timeout: rules.timeout, held: nil)
            if rules.cacheable, state.cache != nil,
               case .success(let cacheKey) = ResponseCacheKey.make(
                   request: TrafficRecorder.trimmingLineEnd(frame).assumingMemoryBound(to: UInt8.self)) {
                let hit = state.cache!.lookup(cacheKey, context: caller.context, now: now)
                stats.cacheChanged(state.cache!.statistics)
                if let hit {
                    var bytes = hit.response(id: id)
                    bytes.append(0x0A)
                    stats.answered(.cached, target, clientLatency: elapsed(since: now))
                    return .answer(bytes)
                }
                call.cacheKey = cacheKey
            }
            if state.limiter != nil, let limited = state.limiter!.take(tool: tool, client: caller.clientKey, now: now) {
                stats.answered(.rateLimited, target, clientLatency: elapsed(since: now))
                return .answer(TrafficErrorResponse.rateLimited(id: id, limited: limited))
            }
            // The call's own breaker first, then the server's (no array is built when there are none).
            for name in state.breakers.isEmpty ? [] : [rules.breaker, "server"] {
                guard let name, state.breakers[name] != nil else { continue }
                let (admission, transition) = state.breakers[name]!.admit()
                if let transition { stats.breakerChanged(transition) }
                if case .rejected(let retryAfter) = admission {
                    Self.giveBack(call.breakers, in: &state)
                    stats.answered(.circuitOpen, target, clientLatency: elapsed(since: now))
                    return .answer(TrafficErrorResponse.circuitOpen(id: id, breaker: name, retryAfter: retryAfter))
                }
                call.breakers.append((name, admission))
            }
            if state.queue != nil {
                switch state.queue!.arrive(key, group: rules.group, priority: rules.priority, queueTimeout: rules.queueTimeout, now: now) {
                case .admitted:
                    break
                case .queued:
                    call.held = (Array(frame), inspected)
                    state.calls[key] = call
                    if let deadline = state.queue!.nextDeadline(), state.armed.map({ deadline < $0 }) ?? true { wakeTimer = true }
                    stats.queueChanged(depth: state.queue!.queuedCount, inFlight: state.queue!.inFlightCount)
                    return .hold
                case .rejected(.queueFull(let maxQueued)):
                    Self.giveBack(call.breakers, in: &state)
                    stats.answered(.rejected, target, clientLatency: elapsed(since: now))
                    return .answer(TrafficErrorResponse.queueFull(id: id, maxQueued: maxQueued))
                case .rejected(.duplicate):
                    return .forward
                }
            }
            if start(&call, key: key, waited: 0, now: now, in: &state) { wakeTimer = true }
            state.calls[key] = call
            if let queue = state.queue { stats.queueChanged(depth: queue.queuedCount, inFlight: queue.inFlightCount) }
            return .forward
        }
        if wakeTimer, let wake = wake.withLock({ $0 }) { wake() }
        return (disposition, Actions())
    }

    private func cancelled(_ key: CallKey, now: MonotonicInstant) -> (Disposition, Actions) {
        var actions = Actions()
        var wakeTimer = false
        let disposition: Disposition = state.withLock { state in
            guard let call = state.calls[key] else { return .forward }
            if call.admittedAt == nil {
                // Still waiting: the server never saw it, so it hears nothing of its cancellation either.
                _ = state.queue?.cancel(key)
                state.calls[key] = nil
                Self.giveBack(call.breakers, in: &state)
                if let queue = state.queue { stats.queueChanged(depth: queue.queuedCount, inFlight: queue.inFlightCount) }
                return .drop
            }
            // At the server: the cancellation goes on, and its slot frees now (a server need not answer a
            // cancelled call at all); an answer that still comes is relayed as it is.
            state.calls[key] = nil
            _ = state.timeouts.finish(key)
            Self.giveBack(call.breakers, in: &state)
            wakeTimer = release(after: key, now: now, in: &state, into: &actions)
            return .forward
        }
        if wakeTimer, let wake = wake.withLock({ $0 }) { wake() }
        return (disposition, actions)
    }

    // MARK: From the server

    /// A message from the server, after it is measured and before it is relayed.
    /// - Parameters:
    ///   - frame: the message's bytes (with or without a line end).
    ///   - session: the transport session it belongs to (nil over stdio).
    /// - Returns: whether to relay it (false for the late answer of a call mcpwatch answered with a timeout), and
    ///   what else to write (queued calls released by this answer).
    public func fromServer(frame: UnsafeRawBufferPointer, inspected: InspectedFrame, session: String?,
                           now: MonotonicInstant) -> (forward: Bool, actions: Actions) {
        guard case .message(let info) = inspected else { return (true, Actions()) }
        switch info.kind {
        case .result, .error:
            guard let id = info.id else { return (true, Actions()) }
            return response(info, key: CallKey(session: session, id: id), frame: frame, now: now)
        case .notification:
            guard let method = info.method, method.hasSuffix("list_changed") || method == "notifications/resources/updated" else {
                return (true, Actions())
            }
            state.withLock { state in
                guard state.cache != nil else { return }
                if state.cache!.invalidate(notification: method, uri: info.paramsURI) > 0 {
                    stats.cacheChanged(state.cache!.statistics)
                }
            }
            return (true, Actions())
        default:
            return (true, Actions())
        }
    }

    private func response(_ info: MessageInfo, key: CallKey, frame: UnsafeRawBufferPointer,
                          now: MonotonicInstant) -> (forward: Bool, actions: Actions) {
        var actions = Actions()
        var wakeTimer = false
        let forward: Bool = state.withLock { state in
            if state.timeouts.finish(key) == .late {
                if let target = state.timedOut.removeValue(forKey: key) { stats.lateAnswerDropped(target) }
                return false
            }
            guard let call = state.calls[key], call.admittedAt != nil else { return true }
            state.calls[key] = nil
            let success = Self.isSuccess(info)
            for (name, admission) in call.breakers {
                if let transition = state.breakers[name]?.record(success: success, admission: admission) {
                    stats.breakerChanged(transition)
                }
            }
            if let cacheKey = call.cacheKey, state.cache != nil, info.kind == .result {
                let body = TrafficRecorder.trimmingLineEnd(frame)
                let stored = state.cache!.store(Array(body), for: cacheKey, context: call.context, ttl: call.cacheTTL, now: now)
                if case .stored = stored { stats.cacheChanged(state.cache!.statistics) }
            }
            stats.completed(call.target, clientLatency: .nanoseconds(Int64(now.nanoseconds(since: call.arrivedAt))))
            if release(after: key, now: now, in: &state, into: &actions) { wakeTimer = true }
            return true
        }
        if wakeTimer, let wake = wake.withLock({ $0 }) { wake() }
        return (forward, actions)
    }

    /// What a breaker counts as a failure: a JSON-RPC error from the server (not the client's own mistakes: a
    /// method it does not have, invalid params) or a tool's `isError` result.
    static func isSuccess(_ info: MessageInfo) -> Bool {
        if info.kind == .error {
            return info.errorCode == -32601 || info.errorCode == -32602
        }
        return !info.isToolError
    }

    /// Calls that ended without an answer the gate saw (the upstream failed, the stream broke, the relay answered
    /// them with its own error): their slots free, and the breakers count them as failures.
    public func ended(_ keys: [CallKey], now: MonotonicInstant) -> Actions {
        var actions = Actions()
        guard !keys.isEmpty else { return actions }
        state.withLock { state in
            for key in keys {
                guard let call = state.calls.removeValue(forKey: key) else { continue }
                guard call.admittedAt != nil else {
                    _ = state.queue?.cancel(key)
                    Self.giveBack(call.breakers, in: &state)
                    continue
                }
                _ = state.timeouts.finish(key)
                for (name, admission) in call.breakers {
                    if let transition = state.breakers[name]?.record(success: false, admission: admission) { stats.breakerChanged(transition) }
                }
                stats.completed(call.target, clientLatency: .nanoseconds(Int64(now.nanoseconds(since: call.arrivedAt))))
                release(after: key, now: now, in: &state, into: &actions)
            }
        }
        return actions
    }

    // MARK: Time

    /// The earliest deadline of a queued or running call; the timer waits for it (and is woken by
    /// ``onEarlierDeadline(_:)`` when an earlier one comes).
    public func nextDeadline() -> MonotonicInstant? {
        state.withLock { state in
            let deadline = [state.queue?.nextDeadline(), state.timeouts.nextDeadline()].compactMap { $0 }.min()
            state.armed = deadline
            return deadline
        }
    }

    /// Answers what has run out of time: queued calls past their queue timeout (never sent), and calls the server
    /// has not answered in time (the client gets mcpwatch's error, the server `notifications/cancelled`).
    public func expire(now: MonotonicInstant) -> Actions {
        var actions = Actions()
        state.withLock { state in
            for expiry in state.queue?.expire(now: now) ?? [] {
                guard let call = state.calls.removeValue(forKey: expiry.key) else { continue }
                Self.giveBack(call.breakers, in: &state)
                let waited = Duration.nanoseconds(Int64(expiry.waitedNanoseconds))
                stats.answered(.queuedOut, call.target, waited: waited, clientLatency: waited)
                actions.toClients.append(ClientAnswer(
                    key: expiry.key, bytes: TrafficErrorResponse.queuedOut(id: call.id, waited: waited, timeout: expiry.timeout)))
            }
            for expiry in state.timeouts.expire(now: now) {
                guard let call = state.calls.removeValue(forKey: expiry.key) else { continue }
                for (name, admission) in call.breakers {
                    if let transition = state.breakers[name]?.record(success: false, admission: admission) {
                        stats.breakerChanged(transition)
                    }
                }
                if state.timedOut.count >= Self.maxRememberedTimeouts { state.timedOut.removeAll() }
                state.timedOut[expiry.key] = call.target
                stats.answered(.timedOut, call.target, clientLatency: .nanoseconds(Int64(now.nanoseconds(since: call.arrivedAt))))
                actions.toClients.append(ClientAnswer(key: expiry.key, bytes: TrafficErrorResponse.timedOut(id: call.id, timeout: expiry.timeout)))
                actions.toServer.append(Self.cancellation(of: expiry.key, timeout: expiry.timeout))
                release(after: expiry.key, now: now, in: &state, into: &actions)
            }
            if let queue = state.queue { stats.queueChanged(depth: queue.queuedCount, inFlight: queue.inFlightCount) }
        }
        return actions
    }

    /// The server is gone: the calls still waiting in the queue (which the recorder never saw) are answered by the
    /// relay with this error; they are forgotten.
    public func serverGone() -> [CallKey] {
        state.withLock { state in
            let waiting = state.calls.filter { $0.value.admittedAt == nil }.map(\.key)
            for key in waiting {
                _ = state.queue?.cancel(key)
                state.calls[key] = nil
            }
            if let queue = state.queue { stats.queueChanged(depth: queue.queuedCount, inFlight: queue.inFlightCount) }
            return waiting
        }
    }

    // MARK: Internals

    /// The call goes to the server now: its deadline starts, and it counts as admitted.
    /// - Returns: whether its deadline comes before the one the timer waits for.
    private func start(_ call: inout Call, key: CallKey, waited: UInt64, now: MonotonicInstant, in state: inout State) -> Bool {
        call.admittedAt = now
        call.held = nil
        stats.admitted(call.target, waited: .nanoseconds(Int64(waited)))
        guard let timeout = call.timeout else { return false }
        state.timeouts.start(key, timeout: timeout, now: now)
        let deadline = now.advanced(byNanoseconds: UInt64(max(0, timeout.inNanoseconds)))
        return state.armed.map { deadline < $0 } ?? true
    }

    /// A call's slot is free: the queued calls that fit now go to the server.
    /// - Returns: whether a released call's deadline comes before the one the timer waits for.
    @discardableResult
    private func release(after key: CallKey, now: MonotonicInstant, in state: inout State, into actions: inout Actions) -> Bool {
        guard state.queue != nil else { return false }
        var earlier = false
        for released in state.queue!.finish(key, now: now) {
            guard var call = state.calls[released.key], let held = call.held else { continue }
            if start(&call, key: released.key, waited: released.waitedNanoseconds, now: now, in: &state) { earlier = true }
            state.calls[released.key] = call
            actions.toServer.append(ServerWrite(key: released.key, frame: held.frame, inspected: held.inspected))
        }
        stats.queueChanged(depth: state.queue!.queuedCount, inFlight: state.queue!.inFlightCount)
        return earlier
    }

    private static func giveBack(_ admissions: [(name: String, admission: CircuitBreaker.Admission)], in state: inout State) {
        for (name, admission) in admissions { state.breakers[name]?.release(admission: admission) }
    }

    private func elapsed(since start: MonotonicInstant) -> Duration {
        .nanoseconds(Int64(clock.now().nanoseconds(since: start)))
    }

    /// mcpwatch's `notifications/cancelled` for a call that ran out of time, as one line, with its inspection.
    static func cancellation(of key: CallKey, timeout: Duration) -> ServerWrite {
        let reason = "mcpwatch: no answer within \(ConfigValueParsing.format(timeout))"
        let line = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":\(key.id.json),\"reason\":\(JSONStringLiteral.quoted(reason))}}\n"
        var info = MessageInfo()
        info.kind = .notification
        info.method = "notifications/cancelled"
        info.cancelledRequestID = key.id
        return ServerWrite(key: key, frame: Array(line.utf8), inspected: .message(info))
    }
}
