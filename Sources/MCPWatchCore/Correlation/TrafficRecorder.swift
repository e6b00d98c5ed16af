import Foundation
import Synchronization

/// The measuring path for one connection: inspector output in, correlator and store updated.
///
/// Transports call ``observe(frame:direction:at:inspector:)`` for every frame they relay. It never blocks on
/// anything slower than two short locks, and it never changes the bytes: the transport forwards what it read.
public final class TrafficRecorder: Sendable {
    /// Where measurements go.
    public let store: MetricsStore
    private let correlator: Mutex<Correlator>
    /// The transport session this recorder measures (Streamable HTTP), and what `initialize` told before the
    /// server named the session.
    private let session = Mutex(SessionBinding())
    /// Set once bound: until then (always, over stdio) recording a call does not touch the session's lock.
    private let bound = Atomic<Bool>(false)

    private struct SessionBinding: Sendable {
        var id: String?
        var client: PeerInfo?
        var protocolVersion: String?
    }

    /// What the transport should do with a frame over the size limit.
    public enum OversizedVerdict: Sendable, Equatable {
        /// Nothing to answer: drop it.
        case drop
        /// It was a request: answer its sender with this error instead.
        case rejectRequest(id: RequestID, message: String)
        /// It was the response to a pending request: answer that request's sender with this error instead.
        case failPendingRequest(id: RequestID, message: String)
    }

    /// Creates a recorder writing to `store`.
    public init(store: MetricsStore, maxPending: Int = 100_000) {
        self.store = store
        correlator = Mutex(Correlator(maxPending: maxPending, logicalCalls: store.logicalCalls))
    }

    /// Ties this recorder to a transport session: its calls, and the client `initialize` named, are counted in
    /// ``MetricsStore/sessions`` under `id` from now on.
    public func bind(sessionID id: String) {
        let known = session.withLock { binding -> SessionBinding in
            binding.id = id
            return binding
        }
        bound.store(true, ordering: .releasing)
        store.sessions.open(id: id, client: known.client, protocolVersion: known.protocolVersion)
    }

    /// The session this recorder is bound to, if any.
    public var sessionID: String? { session.withLock { $0.id } }

    /// How many requests are waiting for an answer.
    public var pendingCount: Int { correlator.withLock { $0.pendingCount } }

    /// Measures one relayed frame (a line with or without its newline).
    /// - Parameter origin: who sent it: the client, or mcpwatch itself (a request the dashboard's explorer injected).
    /// - Returns: the id, when the frame is a single response (so a transport can tell the answers to mcpwatch's own
    ///   requests, which it must not forward, from the client's).
    @discardableResult
    public func observe(
        frame: UnsafeRawBufferPointer, direction: Direction, at: MonotonicInstant, inspector: inout MessageInspector,
        origin: CallOrigin = .client
    ) -> RequestID? {
        if case .message(let info) = measure(frame, direction: direction, at: at, inspector: &inspector, origin: origin),
           info.kind == .result || info.kind == .error {
            return info.id
        }
        return nil
    }

    /// Measures a frame a transport is about to send on, and says which requests it carries: one inspection for both.
    public func observeOutgoing(
        frame: UnsafeRawBufferPointer, direction: Direction, at: MonotonicInstant, inspector: inout MessageInspector,
        origin: CallOrigin = .client
    ) -> PostedMessage {
        PostedMessage(measure(frame, direction: direction, at: at, inspector: &inspector, origin: origin))
    }

    /// Measures one frame and gives the whole inspection, for a transport that routes messages by their kind, id and
    /// method (the stdio bridge): one inspection for both.
    public func observeInspecting(
        frame: UnsafeRawBufferPointer, direction: Direction, at: MonotonicInstant, inspector: inout MessageInspector
    ) -> InspectedFrame {
        measure(frame, direction: direction, at: at, inspector: &inspector, origin: .client)
    }

    /// Inspects a frame once and measures what it holds.
    private func measure(
        _ frame: UnsafeRawBufferPointer, direction: Direction, at: MonotonicInstant, inspector: inout MessageInspector,
        origin: CallOrigin
    ) -> InspectedFrame {
        let inspected = inspector.inspect(Self.trimmingLineEnd(frame))
        measureInspected(inspected, frame: frame, direction: direction, at: at, origin: origin)
        return inspected
    }

    /// Measures a frame that the transport has already inspected (traffic control reads each request before it
    /// decides whether it goes to the server, and measures only those that do, when they do).
    public func observe(
        frame: UnsafeRawBufferPointer, inspected: InspectedFrame, direction: Direction, at: MonotonicInstant, origin: CallOrigin = .client
    ) {
        measureInspected(inspected, frame: frame, direction: direction, at: at, origin: origin)
    }

    private func measureInspected(
        _ inspected: InspectedFrame, frame: UnsafeRawBufferPointer, direction: Direction, at: MonotonicInstant, origin: CallOrigin
    ) {
        let size = frame.count
        let body = Self.trimmingLineEnd(frame)
        store.recordTraffic(direction: direction, bytes: size)
        switch inspected {
        case .empty:
            break
        case .invalid(let kind):
            store.recordAnomaly(kind, direction: direction, at: at, sample: Self.printableSample(body))
        case .message(let info):
            handle(info, frame: body, bytes: size, direction: direction, at: at, origin: origin)
        case .batch(let infos):
            let share = size / max(1, infos.count)
            for info in infos { handle(info, frame: nil, bytes: share, direction: direction, at: at, origin: origin) }
        }
    }

    /// Measures a frame that was too large to relay, and says how to answer for it.
    public func observeOversized(
        prefix: UnsafeRawBufferPointer, length: Int, limit: Int, direction: Direction, at: MonotonicInstant,
        inspector: inout MessageInspector
    ) -> OversizedVerdict {
        store.recordTraffic(direction: direction, bytes: length)
        store.recordAnomaly(.oversizedMessage, direction: direction, at: at, sample: Self.printableSample(prefix))
        guard case .message(let info) = inspector.inspect(prefix, truncated: true), let id = info.id else { return .drop }
        let text = "message of \(length) bytes exceeds the limit of \(limit) bytes (--max-message-bytes) and was not relayed"
        switch info.kind {
        case .request:
            let call = CompletedCall(
                method: info.method ?? "", target: info.target, direction: direction, id: id, outcome: .jsonrpcError,
                durationNanos: 0, finishedAt: at, requestBytes: length, errorCode: JSONRPCErrorCode.invalidRequest,
                errorMessage: text)
            record(call)
            return .rejectRequest(id: id, message: "Invalid Request: \(text)")
        case .result, .error:
            let failed = correlator.withLock {
                $0.fail(id: id, sentBy: direction.reversed, outcome: .jsonrpcError, at: at, message: text)
            }
            guard var call = failed else { return .drop }
            call.errorCode = JSONRPCErrorCode.responseTooLarge
            call.responseBytes = length
            record(call)
            return .failPendingRequest(id: id, message: "Response too large: \(text)")
        default:
            return .drop
        }
    }

    /// Ends every pending call as lost (the server is gone).
    /// - Returns: the ids of the client's requests that still need an answer.
    public func serverGone(at: MonotonicInstant) -> [RequestID] {
        let (lost, closed) = correlator.withLock { ($0.peerExited(at: at), $0.takeClosedStreams()) }
        for closure in closed { store.recordStreamClosed(closure) }
        for var call in lost {
            call.errorMessage = "server exited before answering"
            record(call)
        }
        return lost.filter { $0.direction == .clientToServer && $0.origin == .client }.map(\.id)
    }

    /// Ends these client requests as lost, if still pending (the stream that was to carry their answers broke).
    /// - Returns: the ids that were still pending, which the transport should answer with an error.
    public func lose(ids: [RequestID], reason: String, at: MonotonicInstant) -> [RequestID] {
        var answered: [RequestID] = []
        for id in ids {
            let (failed, closed) = correlator.withLock {
                ($0.fail(id: id, sentBy: .clientToServer, outcome: .lost, at: at, message: reason), $0.takeClosedStreams())
            }
            for closure in closed { store.recordStreamClosed(closure) }
            if let failed {
                record(failed)
                answered.append(id)
            }
        }
        return answered
    }

    /// Ends the `subscriptions/listen` streams among these requests, because the HTTP stream that carried them
    /// ended; calls among them are left alone.
    /// - Parameter reason: `.client` when the client closed it, `.transport` when the server's side ended.
    public func endStreams(ids: [RequestID], reason: StreamCloseReason, at: MonotonicInstant) {
        guard !ids.isEmpty else { return }
        let closed = correlator.withLock {
            $0.endStreams(ids: ids, reason: reason, at: at)
            return $0.takeClosedStreams()
        }
        for closure in closed { store.recordStreamClosed(closure) }
    }

    /// How many `subscriptions/listen` streams this recorder has open.
    public var openStreamCount: Int { correlator.withLock { $0.openStreamCount } }

    /// For `otel.propagate`: the request to forward instead of `frame`, with mcpwatch's span context in
    /// `params._meta.traceparent`; nil to forward `frame` as it is (the usual case: propagation is off).
    public func propagatingTrace(_ frame: UnsafeRawBufferPointer) -> [UInt8]? {
        guard store.traceTap.isPropagating else { return nil }
        let body = Self.trimmingLineEnd(frame)
        guard var rewritten = store.traceTap.propagate(recorder: ObjectIdentifier(self), frame: body,
                                                       startNanos: TraceContextTap.nanos(store.clock.wallNow())) else { return nil }
        rewritten.append(contentsOf: frame[body.count...])
        return rewritten
    }

    /// Records a finished call in the store, and on the session when bound.
    private func record(_ call: CompletedCall) {
        store.record(call)
        if store.traceTap.isEnabled, call.direction == .clientToServer, call.origin == .client {
            let sessionID = bound.load(ordering: .acquiring) ? session.withLock({ $0.id }) : nil
            store.traceTap.completed(recorder: ObjectIdentifier(self), call: call, sessionID: sessionID,
                                     endNanos: TraceContextTap.nanos(store.clock.wallNow()))
        }
        guard bound.load(ordering: .acquiring), call.direction == .clientToServer, call.origin == .client,
              let id = session.withLock({ $0.id }) else { return }
        store.sessions.recordCall(id: id, failed: call.outcome.isFailure && call.outcome != .cancelled)
    }

    private func handle(
        _ info: MessageInfo, frame: UnsafeRawBufferPointer?, bytes: Int, direction: Direction, at: MonotonicInstant, origin: CallOrigin
    ) {
        // store.capture: one atomic load per request or response when it is off (nothing is copied).
        let capture = frame == nil || info.kind == .notification || info.kind == .invalid ? nil : store.callLog.capture
        let arguments = info.kind == .request ? capture.flatMap { CallCapture.arguments(of: frame!, limit: $0.limit) } : nil
        let action = correlator.withLock { c -> Correlator.Action? in
            var handle: TargetHandle?
            if info.kind == .request, let id = info.id, c.pendingRequest(id: id, sentBy: direction) == nil,
               info.method != StreamKind.listen.rawValue {
                handle = store.callStarted(method: info.method ?? "", target: info.target, direction: direction)
            }
            let action = c.observe(info, from: direction, bytes: bytes, at: at, handle: handle, origin: origin)
            if let arguments, case .started? = action, let id = info.id { c.capture(arguments: arguments, forRequest: id, sentBy: direction) }
            return action
        }
        switch action {
        case .completed(var call)?:
            if let capture, capture.full, let frame { call.result = CallCapture.result(of: frame, limit: capture.limit) }
            if call.method == "initialize", call.outcome == .ok, let frame {
                let result = InitializeMessage.parseResult(frame)
                store.updateSession {
                    $0.server = result.server ?? $0.server
                    $0.protocolVersion = result.protocolVersion ?? $0.protocolVersion
                }
                let id = session.withLock { binding -> String? in
                    binding.protocolVersion = result.protocolVersion ?? binding.protocolVersion
                    return binding.id
                }
                if let id { store.sessions.update(id: id, client: nil, protocolVersion: result.protocolVersion) }
                // The legacy handshake names everyone: no need to look into later messages.
                store.updateIdentity { _ in }
            } else if call.outcome == .ok, let frame, call.method == "server/discover" || store.takeIdentityRead() {
                learnIdentity(fromResultOf: call.method, frame)
            }
            record(call)
        case .started(let method, _, _)?:
            if store.traceTap.isEnabled, direction == .clientToServer, origin == .client, let id = info.id, let frame,
               !store.traceTap.requestStarted(recorder: ObjectIdentifier(self), id: id, frame: frame) {
                store.recordAnomaly(.malformedTraceparent, direction: direction, at: at, sample: Self.printableSample(frame))
            }
            if method == "initialize", let frame {
                let request = InitializeMessage.parseRequest(frame)
                store.updateSession {
                    $0.client = request.client ?? $0.client
                    $0.requestedProtocolVersion = request.protocolVersion ?? $0.requestedProtocolVersion
                }
                let id = session.withLock { binding -> String? in
                    binding.client = request.client ?? binding.client
                    return binding.id
                }
                if let id { store.sessions.update(id: id, client: request.client, protocolVersion: nil) }
            } else if let frame, method == "server/discover" || store.takeIdentityRead() {
                let meta = MetaIdentity.parseRequest(frame)
                if meta.client != nil || meta.protocolVersion != nil {
                    store.updateIdentity {
                        $0.client = meta.client ?? $0.client
                        $0.requestedProtocolVersion = meta.protocolVersion ?? $0.requestedProtocolVersion
                    }
                }
            }
        case .notification(let method, let direction)?:
            store.recordNotification(method: method, direction: direction)
        case .streamNotification(let method, let direction)?:
            store.recordNotification(method: method, direction: direction)
            store.recordStreamNotification(method: method)
        case .streamOpened(let kind)?:
            store.recordStreamOpened(kind)
        case .streamClosed(let closure)?:
            store.recordStreamClosed(closure)
        case .anomaly(let kind, let direction)?:
            store.recordAnomaly(kind, direction: direction, at: at, sample: frame.map(Self.printableSample))
        case .lateResponse?, nil:
            break
        }
    }

    /// What a successful 2026-07-28 result says of its server, and of the version in use: the version the client's
    /// requests carry is in use once the server answers one (for `server/discover`, when it lists that version).
    private func learnIdentity(fromResultOf method: String, _ frame: UnsafeRawBufferPointer) {
        let discover = method == "server/discover"
        let result = MetaIdentity.parseResult(frame, discover: discover)
        store.updateIdentity {
            $0.server = result.server ?? $0.server
            guard let requested = $0.requestedProtocolVersion, $0.protocolVersion == nil || discover else { return }
            if let supported = result.supportedVersions {
                if supported.contains(requested) { $0.protocolVersion = requested }
            } else if !discover {
                $0.protocolVersion = requested
            }
        }
    }

    public static func trimmingLineEnd(_ frame: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var n = frame.count
        if n > 0 && frame[n - 1] == 0x0A { n -= 1 }
        if n > 0 && frame[n - 1] == 0x0D { n -= 1 }
        return UnsafeRawBufferPointer(rebasing: frame[0..<n])
    }

    /// The start of a frame made safe to show: at most 200 characters, control characters escaped.
    static func printableSample(_ frame: UnsafeRawBufferPointer) -> String {
        let text = String(decoding: frame.prefix(200), as: UTF8.self)
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += String(format: "\\u%04x", scalar.value)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
