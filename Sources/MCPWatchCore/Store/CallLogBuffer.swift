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
    /// `store.capture` (0 none, 1 arguments, 2 full) and `store.capture_bytes`, read by the recorder per message.
    private let captureMode = Atomic<UInt8>(0)
    private let captureLimit = Atomic<Int>(0)

    /// Creates an empty buffer; it takes nothing until ``enable()``.
    public init(capacity: Int = 10_000, successesPerTargetPerSecond: Int = 10) {
        self.capacity = max(1, capacity)
        self.successesPerTargetPerSecond = max(0, successesPerTargetPerSecond)
        var initial = State()
        initial.calls.reserveCapacity(self.capacity)
        state = Mutex(initial)
    }

    /// Starts taking calls (the store writer calls this once it runs); until then ``take(_:)`` costs one atomic load.
    /// - Parameters:
    ///   - capture: what of arguments and results calls carry into the log (`store.capture`).
    ///   - captureBytes: the longest captured text (`store.capture_bytes`).
    public func enable(capture: StoreSettings.Capture = .none, captureBytes: Int = 4_096) {
        captureLimit.store(max(0, captureBytes), ordering: .relaxed)
        captureMode.store(capture == .full ? 2 : capture == .arguments ? 1 : 0, ordering: .relaxed)
        enabled.store(true, ordering: .releasing)
    }

    /// What the recorder should capture now: nil when nothing (capture off, or the store not running), else whether
    /// results too, and the byte limit.
    @inline(__always)
    public var capture: (full: Bool, limit: Int)? {
        let mode = captureMode.load(ordering: .relaxed)
        guard mode != 0, enabled.load(ordering: .acquiring) else { return nil }
        return (mode == 2, captureLimit.load(ordering: .relaxed))
    }

    /// Per target handle (the first ``SuccessSlot/count`` targets): the second of the last success taken and how
    /// many were taken in it, packed as `second << 16 | count`, so that a success over the bound is left out without
    /// the lock (under load, nearly every success is).
    final class SuccessSlot: Sendable {
        static let count = 1_024
        let value = Atomic<UInt64>(0)
    }
    private let slots: [SuccessSlot] = (0..<SuccessSlot.count).map { _ in SuccessSlot() }
    private let sampledOutFast = Atomic<UInt64>(0)

    /// Offers one finished call.
    @inline(__always)
    public func take(_ call: CompletedCall) {
        guard enabled.load(ordering: .acquiring) else { return }
        if call.outcome == .ok, let handle = call.handle, handle.index < SuccessSlot.count {
            guard admit(slots[handle.index], second: call.finishedAt.nanoseconds / 1_000_000_000) else {
                sampledOutFast.wrappingAdd(1, ordering: .relaxed)
                return
            }
            append(call)
            return
        }
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

    /// Whether one more success fits in its target's bound for `second`, counting it when it does.
    @inline(__always)
    private func admit(_ slot: SuccessSlot, second: UInt64) -> Bool {
        var seen = slot.value.load(ordering: .relaxed)
        while true {
            let count = seen >> 16 == second & 0xFFFF_FFFF_FFFF ? seen & 0xFFFF : 0
            if count >= UInt64(successesPerTargetPerSecond) { return false }
            let next = (second & 0xFFFF_FFFF_FFFF) << 16 | (count + 1)
            let (exchanged, original) = slot.value.compareExchange(expected: seen, desired: next, ordering: .relaxed)
            if exchanged { return true }
            seen = original
        }
    }

    private func append(_ call: CompletedCall) {
        state.withLock { state in
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
            return (fresh, state.dropped, state.sampledOut &+ sampledOutFast.load(ordering: .relaxed))
        }
    }
}
