import Synchronization

/// The calls waiting for the store's call log: bounded, filled by ``MetricsStore/record(_:)`` on the relay's path
/// and emptied by the store writer once a flush interval.
///
/// Recording is one short lock and an append into reserved capacity. Failed calls are always taken while there is
/// room; successful ones up to ``successesPerTargetPerSecond`` per target and second, so that a flood of fast
/// successful calls costs a bounded number of rows. A full buffer drops the call and counts it.
public final class CallLogBuffer: Sendable {
    /// What the buffer holds at most between two drains.
    public let capacity: Int
    /// Successful calls kept per target and second (failed ones are always kept while there is room).
    public let successesPerTargetPerSecond: Int

    struct State: Sendable {
        var calls: [CompletedCall] = []
        /// Per target: the second of the last success taken, and how many were taken in it.
        var successes: [TargetKey: (second: UInt64, count: Int)] = [:]
        var dropped: UInt64 = 0
        var sampledOut: UInt64 = 0
    }

    let state: Mutex<State>
    /// Read without the lock, so that with the store off a call costs one atomic load.
    let enabled = Atomic<Bool>(false)

    /// Creates an empty buffer; it takes nothing until ``enable()``.
    public init(capacity: Int = 10_000, successesPerTargetPerSecond: Int = 10) {
        self.capacity = max(1, capacity)
        self.successesPerTargetPerSecond = max(0, successesPerTargetPerSecond)
        var initial = State()
        initial.calls.reserveCapacity(self.capacity)
        state = Mutex(initial)
    }

    /// Starts taking calls (the store writer calls this once it runs); until then ``take(_:)`` costs one atomic load.
    public func enable() { enabled.store(true, ordering: .releasing) }

    /// Offers one finished call.
    @inline(__always)
    public func take(_ call: CompletedCall) {
        guard enabled.load(ordering: .acquiring) else { return }
        state.withLock { state in
            if call.outcome == .ok {
                let second = call.finishedAt.nanoseconds / 1_000_000_000
                let key = TargetKey(method: call.method, target: call.target)
                let seen = state.successes[key]
                let count = seen?.second == second ? seen!.count : 0
                guard count < successesPerTargetPerSecond else {
                    state.sampledOut &+= 1
                    return
                }
                state.successes[key] = (second, count + 1)
            }
            guard state.calls.count < capacity else {
                state.dropped &+= 1
                return
            }
            state.calls.append(call)
        }
    }

    /// Takes everything buffered, with the counts of calls dropped (buffer full) and left out (successes over the
    /// per-second bound) since the start.
    public func drain() -> (calls: [CompletedCall], dropped: UInt64, sampledOut: UInt64) {
        var fresh: [CompletedCall] = []
        fresh.reserveCapacity(capacity)
        return state.withLock { state in
            swap(&fresh, &state.calls)
            // Forget targets idle for more than a second, so the map stays as small as the set of busy targets.
            if state.successes.count > 1_000 { state.successes.removeAll(keepingCapacity: true) }
            return (fresh, state.dropped, state.sampledOut)
        }
    }
}
