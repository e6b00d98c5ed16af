/// Pairs requests with their responses, in both directions, as a state machine with no I/O.
///
/// Feed it each inspected message with ``observe(_:from:bytes:at:handle:origin:)``; it answers with what happened
/// (a call started, finished, a notification, an anomaly). ``peerExited(at:)`` ends every pending call as lost.
/// It is not thread-safe by itself: the owner serialises access.
public struct Correlator: Sendable {
    /// A request waiting for its response.
    public struct Pending: Sendable, Equatable {
        /// The request's method.
        public var method: String
        /// The request's target.
        public var target: String?
        /// Who sent it.
        public var origin: CallOrigin
        /// When it was read.
        public var startedAt: MonotonicInstant
        /// Its size on the wire.
        public var requestBytes: Int
        /// The store handle of its target, if registered.
        public var handle: TargetHandle?
    }

    /// What one observed message meant.
    public enum Action: Sendable, Equatable {
        /// A request was sent and is now pending.
        case started(method: String, target: String?, direction: Direction)
        /// A request got its answer (or was cancelled).
        case completed(CompletedCall)
        /// A notification passed.
        case notification(method: String, direction: Direction)
        /// Something was wrong with the message; it was relayed all the same.
        case anomaly(AnomalyKind, direction: Direction)
        /// A late response to a request that had been cancelled: expected, not an anomaly.
        case lateResponse(id: RequestID)
    }

    private struct Key: Hashable {
        var direction: Direction
        var id: RequestID
    }

    private var pending: [Key: Pending] = [:]
    private var recentlyCancelled = RecentSet<Key>(capacity: 1_024)
    /// Requests beyond this many pending are relayed but not tracked, so a flood cannot grow memory unbounded.
    public let maxPending: Int

    /// Creates a correlator.
    public init(maxPending: Int = 100_000) {
        self.maxPending = maxPending
    }

    /// How many requests are waiting for an answer, in both directions.
    public var pendingCount: Int { pending.count }

    /// The pending request with this id sent in this direction, if any.
    public func pendingRequest(id: RequestID, sentBy direction: Direction) -> Pending? {
        pending[Key(direction: direction, id: id)]
    }

    /// Observes one message.
    /// - Parameters:
    ///   - message: what the inspector read.
    ///   - direction: which way it travelled.
    ///   - bytes: its size on the wire.
    ///   - at: when it was read.
    ///   - handle: the store handle for a request's target (requests only).
    ///   - origin: who sent a request.
    /// - Returns: what it meant; usually one action.
    public mutating func observe(
        _ message: MessageInfo, from direction: Direction, bytes: Int, at: MonotonicInstant,
        handle: TargetHandle? = nil, origin: CallOrigin = .client
    ) -> Action? {
        switch message.kind {
        case .request:
            let method = message.method ?? ""
            guard let id = message.id else { return .anomaly(.invalidMessage, direction: direction) }
            let key = Key(direction: direction, id: id)
            if pending[key] != nil { return .anomaly(.duplicateRequestID, direction: direction) }
            guard pending.count < maxPending else { return .started(method: method, target: message.target, direction: direction) }
            pending[key] = Pending(
                method: method, target: message.target, origin: origin, startedAt: at, requestBytes: bytes, handle: handle)
            return .started(method: method, target: message.target, direction: direction)
        case .notification:
            let method = message.method ?? ""
            if method == "notifications/cancelled", let id = message.cancelledRequestID {
                // A cancellation travels the same way as the request it cancels.
                let key = Key(direction: direction, id: id)
                if let request = pending.removeValue(forKey: key) {
                    recentlyCancelled.insert(key)
                    return .completed(call(request, id: id, direction: direction, outcome: .cancelled, at: at, responseBytes: 0))
                }
            }
            return .notification(method: method, direction: direction)
        case .result, .error:
            guard let id = message.id else {
                // An error with a null id answers a request the server could not parse: nothing to pair.
                return message.kind == .error ? nil : .anomaly(.unknownResponseID, direction: direction)
            }
            let key = Key(direction: direction.reversed, id: id)
            guard let request = pending.removeValue(forKey: key) else {
                if recentlyCancelled.contains(key) { return .lateResponse(id: id) }
                return .anomaly(.unknownResponseID, direction: direction)
            }
            var outcome = CallOutcome.ok
            var errorMessage: String?
            if message.kind == .error {
                outcome = .jsonrpcError
                errorMessage = message.errorMessage
            } else if message.isToolError {
                outcome = .toolError
                errorMessage = message.toolErrorText
            }
            var done = call(request, id: id, direction: direction.reversed, outcome: outcome, at: at, responseBytes: bytes)
            done.errorCode = message.kind == .error ? message.errorCode : nil
            done.errorMessage = errorMessage
            return .completed(done)
        case .invalid:
            return .anomaly(.invalidMessage, direction: direction)
        }
    }

    /// Ends every pending request as lost, because the server (or the session) is gone.
    /// - Returns: the lost calls, client requests first in the order they were sent.
    public mutating func peerExited(at: MonotonicInstant) -> [CompletedCall] {
        let lost = pending.map { key, request in
            call(request, id: key.id, direction: key.direction, outcome: .lost, at: at, responseBytes: 0)
        }
        pending.removeAll()
        return lost.sorted {
            if $0.direction != $1.direction { return $0.direction == .clientToServer }
            return $0.finishedAt.nanoseconds - $0.durationNanos < $1.finishedAt.nanoseconds - $1.durationNanos
        }
    }

    /// Ends one pending request with the given outcome (for example when its response was too large to relay).
    public mutating func fail(
        id: RequestID, sentBy direction: Direction, outcome: CallOutcome, at: MonotonicInstant, message: String
    ) -> CompletedCall? {
        guard let request = pending.removeValue(forKey: Key(direction: direction, id: id)) else { return nil }
        var done = call(request, id: id, direction: direction, outcome: outcome, at: at, responseBytes: 0)
        done.errorMessage = message
        return done
    }

    private func call(
        _ request: Pending, id: RequestID, direction: Direction, outcome: CallOutcome, at: MonotonicInstant,
        responseBytes: Int
    ) -> CompletedCall {
        CompletedCall(
            method: request.method, target: request.target, direction: direction, origin: request.origin, id: id,
            outcome: outcome, durationNanos: at.nanoseconds(since: request.startedAt), finishedAt: at,
            requestBytes: request.requestBytes, responseBytes: responseBytes, handle: request.handle)
    }
}

/// A set that remembers only its most recent `capacity` members.
struct RecentSet<Element: Hashable & Sendable>: Sendable {
    private var members: Set<Element> = []
    private var order: [Element] = []
    private var next = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func contains(_ element: Element) -> Bool { members.contains(element) }

    mutating func insert(_ element: Element) {
        guard !members.contains(element) else { return }
        if order.count < capacity {
            order.append(element)
        } else {
            members.remove(order[next])
            order[next] = element
            next = (next + 1) % capacity
        }
        members.insert(element)
    }
}
