import MCPWatchCore
import Synchronization

/// One ``TrafficRecorder`` per Streamable HTTP session (request ids are unique only within a session), all writing
/// to one store. At most `capacity` are kept; the oldest session's recorder is dropped first, its pending calls
/// recorded as lost.
public final class SessionRecorders: Sendable {
    private struct State: Sendable {
        var recorders: [String: TrafficRecorder] = [:]
        var order: [String] = []
    }

    /// Where every session's calls are recorded.
    public let store: MetricsStore
    /// Most sessions tracked at once.
    public let capacity: Int
    private let state = Mutex(State())

    /// Creates the table.
    public init(store: MetricsStore, capacity: Int = 1_000) {
        self.store = store
        self.capacity = max(1, capacity)
    }

    /// The recorder for a session id, created and bound on first sight.
    public func recorder(for id: String) -> TrafficRecorder {
        if let known = state.withLock({ $0.recorders[id] }) { return known }
        let fresh = TrafficRecorder(store: store)
        fresh.bind(sessionID: id)
        return adopt(fresh, as: id)
    }

    /// Registers a recorder that was measuring before the server named its session (the `initialize` exchange).
    /// - Returns: the recorder now registered for `id` (an earlier one, if the id was known already).
    @discardableResult
    public func adopt(_ recorder: TrafficRecorder, as id: String) -> TrafficRecorder {
        let (kept, evicted): (TrafficRecorder, TrafficRecorder?) = state.withLock { state in
            if let known = state.recorders[id] { return (known, nil) }
            var evicted: TrafficRecorder?
            if state.recorders.count >= capacity, !state.order.isEmpty {
                let oldest = state.order.removeFirst()
                evicted = state.recorders.removeValue(forKey: oldest)
            }
            state.recorders[id] = recorder
            state.order.append(id)
            return (recorder, evicted)
        }
        if kept === recorder, recorder.sessionID != id { recorder.bind(sessionID: id) }
        if let evicted { end(evicted) }
        return kept
    }

    /// Forgets a session (deleted, or unknown to the server): its pending calls are lost.
    public func remove(_ id: String) {
        let removed = state.withLock { state -> TrafficRecorder? in
            state.order.removeAll { $0 == id }
            return state.recorders.removeValue(forKey: id)
        }
        if let removed { end(removed) }
        store.sessions.close(id: id)
    }

    /// Sessions tracked now.
    public var count: Int { state.withLock { $0.recorders.count } }

    /// The session seen last (nil when none is tracked).
    public var newestID: String? { state.withLock { $0.order.last } }

    private func end(_ recorder: TrafficRecorder) {
        _ = recorder.serverGone(at: store.clock.now())
        if let id = recorder.sessionID { store.sessions.close(id: id) }
    }
}
