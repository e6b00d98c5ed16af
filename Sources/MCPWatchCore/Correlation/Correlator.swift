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
        /// The logical call this request continues (a retry after `input_required`).
        var chain: LogicalCallTracker.Chain?
        /// The task a `tasks/get` asks about.
        var taskID: String?
        /// A `subscriptions/listen` request: a stream, not a call.
        var isStream = false
        /// Notifications its stream delivered.
        var notifications = 0
        /// Its captured arguments (`store.capture`), carried to the finished call.
        var arguments: String?
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
        /// A `subscriptions/listen` request opened a stream.
        case streamOpened(StreamKind)
        /// A stream ended (its answer, a cancellation); never a failed call.
        case streamClosed(StreamClosure)
        /// A notification on an open `subscriptions/listen` stream (it is a notification too).
        case streamNotification(method: String, direction: Direction)
    }

    private struct Key: Hashable {
        var direction: Direction
        var id: RequestID
    }

    private var pending: [Key: Pending] = [:]
    private var recentlyCancelled = RecentSet<Key>(capacity: 1_024)
    /// Logical calls between their rounds, shared with the other correlators of the same store.
    public let logicalCalls: LogicalCallTracker
    /// Open `subscriptions/listen` streams by request id (the `subscriptionId` of their notifications).
    private var streams: Set<RequestID> = []
    /// Streams ended outside ``observe(_:from:bytes:at:handle:origin:)`` (the server exited, a broken HTTP
    /// stream), for the owner to take with ``takeClosedStreams()``.
    private var closedStreams: [StreamClosure] = []
    /// Requests beyond this many pending are relayed but not tracked, so a flood cannot grow memory unbounded.
    public let maxPending: Int

    /// Creates a correlator.
    /// - Parameter logicalCalls: where logical calls wait between their rounds; give every correlator of one
    ///   monitored server the same one (``MetricsStore/logicalCalls``), since a retry may come on another connection.
    public init(maxPending: Int = 100_000, logicalCalls: LogicalCallTracker = LogicalCallTracker()) {
        self.maxPending = maxPending
        self.logicalCalls = logicalCalls
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
            var request = Pending(
                method: method, target: message.target, origin: origin, startedAt: at, requestBytes: bytes, handle: handle)
            if method == StreamKind.listen.rawValue {
                request.isStream = true
                pending[key] = request
                streams.insert(id)
                return .streamOpened(.listen)
            }
            if message.requestStateHash != nil || message.hasInputResponses, LogicalCall.isLogicalMethod(method) {
                let retry = message.requestStateHash.map(LogicalCallTracker.RetryKey.state) ?? .target(method, message.target)
                if var chain = logicalCalls.takeRetry(retry) {
                    chain.clientWaitNanos &+= at.nanoseconds(since: chain.lastAnswerAt)
                    request.chain = chain
                }
            } else if method == "tasks/get" {
                request.taskID = message.taskID
            }
            pending[key] = request
            return .started(method: method, target: message.target, direction: direction)
        case .notification:
            let method = message.method ?? ""
            if method == "notifications/cancelled", let id = message.cancelledRequestID {
                // A cancellation travels the same way as the request it cancels.
                let key = Key(direction: direction, id: id)
                if let request = pending.removeValue(forKey: key) {
                    recentlyCancelled.insert(key)
                    if request.isStream { return .streamClosed(closeStream(request, id: id, reason: .client, at: at)) }
                    return .completed(call(request, id: id, direction: direction, outcome: .cancelled, at: at, responseBytes: 0))
                }
            }
            if let subscription = message.subscriptionID, direction == .serverToClient, streams.contains(subscription) {
                pending[Key(direction: .clientToServer, id: subscription)]?.notifications += 1
                return .streamNotification(method: method, direction: direction)
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
            if request.isStream {
                return .streamClosed(closeStream(request, id: id, reason: message.kind == .error ? .error : .server, at: at))
            }
            var outcome = CallOutcome.ok
            var errorMessage: String?
            if message.kind == .error {
                outcome = .jsonrpcError
                errorMessage = message.errorMessage
            } else if message.isToolError {
                outcome = .toolError
                errorMessage = message.toolErrorText
            } else if let type = message.resultType, type == .inputRequired || type == .task,
                      LogicalCall.isLogicalMethod(request.method) {
                outcome = type == .inputRequired ? .inputRequired : .task
            }
            var done = call(request, id: id, direction: direction.reversed, outcome: outcome, at: at, responseBytes: bytes)
            done.errorCode = message.kind == .error ? message.errorCode : nil
            done.errorMessage = errorMessage
            continueLogicalCall(request, message: message, done: &done, at: at)
            return .completed(done)
        case .invalid:
            return .anomaly(.invalidMessage, direction: direction)
        }
    }

    /// Follows a logical call through one finished round trip: an interim answer waits for the retry (or the task's
    /// end); a final round, or a `tasks/get` that sees its task end, carries the logical call on `done`.
    private mutating func continueLogicalCall(_ request: Pending, message: MessageInfo, done: inout CompletedCall, at: MonotonicInstant) {
        if request.method == "tasks/get" {
            guard message.kind == .result, let taskID = request.taskID ?? message.taskID,
                  let chain = logicalCalls.poll(taskID, terminal: message.taskStatus?.isTerminal == true),
                  let status = message.taskStatus else { return }
            let outcome: CallOutcome = switch status {
            case .completed: message.taskResultIsError ? .toolError : .ok
            case .failed: .jsonrpcError
            default: .cancelled
            }
            done.logical = LogicalCall(
                method: chain.method, target: chain.target, handle: chain.handle, outcome: outcome,
                errorCode: status == .failed ? message.taskErrorCode : nil, durationNanos: at.nanoseconds(since: chain.firstStartedAt),
                rounds: chain.rounds, clientWaitNanos: chain.clientWaitNanos, polls: chain.polls, taskID: taskID)
            return
        }
        guard LogicalCall.isLogicalMethod(request.method) else { return }
        var chain = request.chain ?? LogicalCallTracker.Chain(
            method: request.method, target: request.target, handle: request.handle, firstStartedAt: request.startedAt, lastAnswerAt: at)
        chain.rounds += 1
        chain.handle = request.handle ?? chain.handle
        switch done.outcome {
        case .inputRequired:
            chain.lastAnswerAt = at
            logicalCalls.awaitRetry(message.requestStateHash.map(LogicalCallTracker.RetryKey.state) ?? .target(request.method, request.target), chain)
        case .task:
            guard let taskID = message.taskID else { return }
            chain.taskID = taskID
            logicalCalls.startTask(taskID, chain)
        default:
            guard request.chain != nil else { return }  // one round: the round trip is the logical call
            done.logical = LogicalCall(
                method: chain.method, target: chain.target, handle: chain.handle, outcome: done.outcome, errorCode: done.errorCode,
                durationNanos: at.nanoseconds(since: chain.firstStartedAt), rounds: chain.rounds, clientWaitNanos: chain.clientWaitNanos)
        }
    }

    private mutating func closeStream(_ request: Pending, id: RequestID, reason: StreamCloseReason, at: MonotonicInstant) -> StreamClosure {
        streams.remove(id)
        return StreamClosure(kind: .listen, reason: reason, lifetimeNanos: at.nanoseconds(since: request.startedAt),
                             notifications: request.notifications)
    }

    /// How many `subscriptions/listen` streams are open.
    public var openStreamCount: Int { streams.count }

    /// The streams that ended outside ``observe(_:from:bytes:at:handle:origin:)`` since the last call.
    public mutating func takeClosedStreams() -> [StreamClosure] {
        guard !closedStreams.isEmpty else { return [] }
        defer { closedStreams.removeAll() }
        return closedStreams
    }

    /// Ends these pending `subscriptions/listen` streams (their HTTP stream ended); other ids are left alone.
    public mutating func endStreams(ids: [RequestID], reason: StreamCloseReason, at: MonotonicInstant) {
        for id in ids where streams.contains(id) {
            if let request = pending.removeValue(forKey: Key(direction: .clientToServer, id: id)) {
                closedStreams.append(closeStream(request, id: id, reason: reason, at: at))
            }
        }
    }

    /// Ends every pending request as lost, because the server (or the session) is gone; open streams end as closed
    /// by the transport, not lost.
    /// - Returns: the lost calls, client requests first in the order they were sent.
    public mutating func peerExited(at: MonotonicInstant) -> [CompletedCall] {
        for (key, request) in pending where request.isStream {
            closedStreams.append(closeStream(request, id: key.id, reason: .transport, at: at))
        }
        let lost = pending.compactMap { key, request in
            request.isStream ? nil : call(request, id: key.id, direction: key.direction, outcome: .lost, at: at, responseBytes: 0)
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
        if request.isStream {
            // A stream whose HTTP response broke has ended; it is not a lost call.
            closedStreams.append(closeStream(request, id: id, reason: .transport, at: at))
            return nil
        }
        var done = call(request, id: id, direction: direction, outcome: outcome, at: at, responseBytes: 0)
        done.errorMessage = message
        return done
    }

    /// Keeps a pending request's captured arguments (`store.capture`) for its finished call.
    public mutating func capture(arguments: String, forRequest id: RequestID, sentBy direction: Direction) {
        pending[Key(direction: direction, id: id)]?.arguments = arguments
    }

    private func call(
        _ request: Pending, id: RequestID, direction: Direction, outcome: CallOutcome, at: MonotonicInstant,
        responseBytes: Int
    ) -> CompletedCall {
        var done = CompletedCall(
            method: request.method, target: request.target, direction: direction, origin: request.origin, id: id,
            outcome: outcome, durationNanos: at.nanoseconds(since: request.startedAt), finishedAt: at,
            requestBytes: request.requestBytes, responseBytes: responseBytes, handle: request.handle)
        done.arguments = request.arguments
        return done
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
