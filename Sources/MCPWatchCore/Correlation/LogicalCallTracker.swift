import Synchronization

/// The logical calls between their rounds: those answered `input_required` and waiting for the client's retry, and
/// those that created a task and wait for its terminal status.
///
/// Shared by every ``Correlator`` of one store (``MetricsStore/logicalCalls``), because 2026-07-28 is stateless: over
/// Streamable HTTP each POST may be measured by a recorder of its own, and a retry or a `tasks/get` poll arrives in
/// another POST than the request it continues. Bounded: at most ``maxWaiting`` of each kind; past it the oldest
/// waiting one is forgotten, so a client that never retries cannot grow memory.
public final class LogicalCallTracker: Sendable {
    /// A logical call between its rounds.
    struct Chain: Sendable, Equatable {
        var method: String
        var target: String?
        var handle: TargetHandle?
        var firstStartedAt: MonotonicInstant
        var rounds = 0
        var clientWaitNanos: UInt64 = 0
        var lastAnswerAt: MonotonicInstant
        var polls = 0
        var taskID: String?
    }

    /// What ties a retry to the `input_required` answer before it: the `requestState` it echoes, else its target.
    enum RetryKey: Hashable, Sendable {
        case state(UInt64)
        case target(String, String?)
    }

    private struct State: Sendable {
        var awaitingRetry: [RetryKey: Chain] = [:]
        var awaitingOrder: [RetryKey] = []
        var tasks: [String: Chain] = [:]
        var taskOrder: [String] = []
    }

    /// At most this many logical calls wait for a retry, and as many for a task's end.
    public let maxWaiting: Int
    private let state = Mutex(State())

    /// Creates an empty tracker.
    public init(maxWaiting: Int = 4_096) {
        self.maxWaiting = max(1, maxWaiting)
    }

    /// Logical calls waiting for a retry, and for a task's end.
    public var waitingCount: (retries: Int, tasks: Int) { state.withLock { ($0.awaitingRetry.count, $0.tasks.count) } }

    /// The logical call a retry continues, taken out of the table.
    func takeRetry(_ key: RetryKey) -> Chain? {
        state.withLock { $0.awaitingRetry.removeValue(forKey: key) }
    }

    /// Parks a logical call answered `input_required` until its retry.
    func awaitRetry(_ key: RetryKey, _ chain: Chain) {
        state.withLock { s in
            if s.awaitingRetry.updateValue(chain, forKey: key) == nil {
                s.awaitingOrder.append(key)
                Self.trim(&s.awaitingRetry, &s.awaitingOrder, to: maxWaiting)
            }
        }
    }

    /// Parks a logical call that created a task until a poll sees the task end.
    func startTask(_ id: String, _ chain: Chain) {
        state.withLock { s in
            if s.tasks.updateValue(chain, forKey: id) == nil {
                s.taskOrder.append(id)
                Self.trim(&s.tasks, &s.taskOrder, to: maxWaiting)
            }
        }
    }

    /// Counts a `tasks/get` poll of a task; when it reports a terminal status, the logical call ends and is returned.
    func poll(_ id: String, terminal: Bool) -> Chain? {
        state.withLock { s -> Chain? in
            guard var chain = s.tasks[id] else { return nil }
            chain.polls += 1
            if terminal {
                s.tasks[id] = nil
                return chain
            }
            s.tasks[id] = chain
            return nil
        }
    }

    /// Forgets the oldest entries past the limit (the order list may name entries already taken: it is compacted
    /// when it grows to twice the limit).
    private static func trim<Key: Hashable>(_ table: inout [Key: Chain], _ order: inout [Key], to limit: Int) {
        var dropped = 0
        while table.count > limit, dropped < order.count {
            table[order[dropped]] = nil
            dropped += 1
        }
        if dropped > 0 { order.removeFirst(dropped) }
        if order.count > 2 * limit { order = order.filter { table[$0] != nil } }
    }
}
