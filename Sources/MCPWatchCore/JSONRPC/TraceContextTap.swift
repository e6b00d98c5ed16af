import Foundation
import Synchronization

/// Where the relays' measuring path hands finished calls to the OTLP exporter (MCPWatchTelemetry), and where the
/// trace context of each client request waits for its answer. Off (one atomic load per call) until the exporter
/// enables it.
///
/// Nothing here does I/O or waits: a finished call goes into a bounded queue that the exporter drains on its own
/// task; when the queue is full (the collector is down or slow and the exporter behind) the call's span is dropped
/// and counted, and the relay goes on.
public final class TraceContextTap: Sendable {
    /// A span the exporter started for a request being forwarded (`otel.propagate`), so that its id is known when the
    /// request leaves.
    public struct StartedSpan: Sendable {
        /// The span's own context, for the forwarded request's `params._meta.traceparent`; nil to forward unchanged.
        public var traceparent: String?
        /// The exporter's span, handed back with the finished call so that it ends there.
        public var span: any Sendable

        /// Creates a started span.
        public init(traceparent: String?, span: any Sendable) {
            self.traceparent = traceparent
            self.span = span
        }
    }

    /// Starts a span: the request's own context (nil for a root), the span's name, its start in nanoseconds since
    /// the Unix epoch.
    public typealias Starter = @Sendable (_ parent: TraceContext?, _ name: String, _ startNanos: UInt64) -> StartedSpan?

    /// One finished client call with what tracing needs of it.
    public struct TracedCall: Sendable {
        /// The call.
        public var call: CompletedCall
        /// The context the request carried, when valid.
        public var parent: TraceContext?
        /// The span started when the request was forwarded (`otel.propagate`).
        public var startedSpan: (any Sendable)?
        /// The transport session (Streamable HTTP up to 2025-11-25).
        public var sessionID: String?
        /// When it ended, in nanoseconds since the Unix epoch.
        public var endNanos: UInt64

        /// Creates a traced call.
        public init(call: CompletedCall, parent: TraceContext?, startedSpan: (any Sendable)?, sessionID: String?, endNanos: UInt64) {
            self.call = call
            self.parent = parent
            self.startedSpan = startedSpan
            self.sessionID = sessionID
            self.endNanos = endNanos
        }

        /// When it started, in nanoseconds since the Unix epoch.
        public var startNanos: UInt64 { endNanos >= call.durationNanos ? endNanos - call.durationNanos : 0 }
    }

    private struct Key: Hashable {
        var recorder: ObjectIdentifier
        var id: RequestID
    }

    private struct Pending {
        var parent: TraceContext?
        var span: (any Sendable)?
    }

    private struct State {
        var pending: [Key: Pending] = [:]
        var queue: [TracedCall] = []
        var capacity = 0
        var starter: Starter?
    }

    private let enabled = Atomic<Bool>(false)
    private let propagating = Atomic<Bool>(false)
    private let state = Mutex(State())
    private let dropped = Atomic<Int>(0)
    private let malformed = Atomic<Int>(0)
    /// Most requests waiting for an answer whose context is kept (as many as a correlator keeps pending).
    static let maxPending = 100_000

    /// Creates a tap that is off.
    public init() {}

    /// Turns tracing on.
    /// - Parameters:
    ///   - capacity: most finished calls waiting for the exporter; past it they are dropped and counted.
    ///   - starter: for `otel.propagate`, starts a span when its request is forwarded; nil: no propagation.
    public func enable(capacity: Int, starter: Starter?) {
        state.withLock {
            $0.capacity = max(1, capacity)
            $0.starter = starter
            $0.queue.reserveCapacity(min($0.capacity, 4_096))
        }
        propagating.store(starter != nil, ordering: .releasing)
        enabled.store(true, ordering: .releasing)
    }

    /// Whether tracing is on.
    public var isEnabled: Bool { enabled.load(ordering: .relaxed) }
    /// Whether forwarded requests carry mcpwatch's span context (`otel.propagate`).
    public var isPropagating: Bool { propagating.load(ordering: .relaxed) }
    /// Spans dropped because the exporter's queue was full.
    public var droppedCount: Int { dropped.load(ordering: .relaxed) }
    /// Requests whose `traceparent` was malformed (traced as new roots).
    public var malformedCount: Int { malformed.load(ordering: .relaxed) }

    /// A client request was seen: keeps the context it carries until its answer.
    /// - Returns: false when its `traceparent` was malformed (the caller counts the anomaly).
    func requestStarted(recorder: ObjectIdentifier, id: RequestID, frame: UnsafeRawBufferPointer) -> Bool {
        let key = Key(recorder: recorder, id: id)
        let extracted = TraceContext.extract(from: frame)
        let parent: TraceContext?
        switch extracted {
        case .absent: parent = nil
        case .valid(let context): parent = context
        case .malformed:
            parent = nil
            malformed.add(1, ordering: .relaxed)
        }
        if parent != nil {
            state.withLock { state in
                guard state.pending[key] == nil, state.pending.count < Self.maxPending else { return }
                state.pending[key] = Pending(parent: parent)
            }
        }
        return extracted != .malformed
    }

    /// For `otel.propagate`: starts the request's span now and gives the request to forward with its context in
    /// `params._meta.traceparent`; nil to forward the frame unchanged (not a request, not propagating, sampled out).
    func propagate(recorder: ObjectIdentifier, frame: UnsafeRawBufferPointer, startNanos: UInt64) -> [UInt8]? {
        var inspector = MessageInspector()
        guard case .message(let info) = inspector.inspect(frame), info.kind == .request, let id = info.id,
              let method = info.method, method != StreamKind.listen.rawValue else { return nil }
        let key = Key(recorder: recorder, id: id)
        let starter = state.withLock { $0.starter }
        guard let starter else { return nil }
        var parent: TraceContext?
        if case .valid(let context) = TraceContext.extract(from: frame) { parent = context }
        guard let started = starter(parent, Self.spanName(method: method, target: info.target), startNanos) else { return nil }
        let kept = state.withLock { state -> Bool in
            guard state.pending.count < Self.maxPending else { return false }
            state.pending[key] = Pending(parent: parent, span: started.span)
            return true
        }
        guard kept, let traceparent = started.traceparent else { return nil }
        return TraceContextRewriter.rewrite(frame, traceparent: traceparent)
    }

    /// A client call finished: queued for the exporter, or dropped and counted when the queue is full.
    func completed(recorder: ObjectIdentifier, call: CompletedCall, sessionID: String?, endNanos: UInt64) {
        let key = Key(recorder: recorder, id: call.id)
        let queued = state.withLock { state -> Bool in
            let pending = state.pending.isEmpty ? nil : state.pending.removeValue(forKey: key)
            guard state.queue.count < state.capacity else { return false }
            state.queue.append(TracedCall(call: call, parent: pending?.parent, startedSpan: pending?.span,
                                          sessionID: sessionID, endNanos: endNanos))
            return true
        }
        if !queued { dropped.add(1, ordering: .relaxed) }
    }

    /// Spans the exporter dropped further on (its batch queue full): counted with the tap's own drops.
    public func countDropped(_ count: Int) {
        if count > 0 { dropped.add(count, ordering: .relaxed) }
    }

    /// Takes every finished call queued so far (the exporter's side).
    public func drain() -> [TracedCall] {
        state.withLock { state in
            guard !state.queue.isEmpty else { return [] }
            let taken = state.queue
            state.queue.removeAll(keepingCapacity: true)
            return taken
        }
    }

    /// `{mcp.method.name} {target}`, or the method alone: the conventions' span name.
    public static func spanName(method: String, target: String?) -> String {
        guard let target, !target.isEmpty else { return method }
        return "\(method) \(target)"
    }

    /// Nanoseconds since the Unix epoch of a date.
    public static func nanos(_ date: Date) -> UInt64 {
        let seconds = date.timeIntervalSince1970
        return seconds > 0 ? UInt64(seconds * 1_000_000_000) : 0
    }
}
