/// The deadline of each call at the server: which calls have run out of time.
///
/// A pure structure driven by the relay: ``start(_:timeout:now:)`` when a call goes to the server,
/// ``finish(_:)`` when its answer comes, ``expire(now:)`` when ``nextDeadline()`` has passed. For each expired call
/// the relay answers the client with ``TrafficOutcome/timedOut`` (see ``TrafficErrorResponse``), sends the server
/// `notifications/cancelled`, and drops (and counts) the late answer: ``finish(_:)`` says whether an answer was
/// still awaited. O(log n) per call.
public struct TimeoutTracker<Key: Hashable & Sendable>: Sendable {
    /// A call that ran out of time.
    public struct Expiry: Sendable, Equatable {
        /// The call.
        public var key: Key
        /// The timeout it had.
        public var timeout: Duration
    }

    private struct Running: Sendable {
        var sequence: UInt64
        var timeout: Duration
    }

    private var running: [Key: Running] = [:]
    /// Calls that expired and whose late answer may still come, so that it can be told apart from an unknown one.
    private var expiredKeys: Set<Key> = []
    private var expiredOrder: [Key] = []
    private var heap = DeadlineHeap<Key>()
    private var sequence: UInt64 = 0
    private let rememberedExpiries: Int

    /// Creates an empty tracker.
    /// - Parameter rememberedExpiries: how many expired calls are remembered, to recognise their late answers.
    public init(rememberedExpiries: Int = 10_000) { self.rememberedExpiries = max(1, rememberedExpiries) }

    /// Calls with a deadline now.
    public var count: Int { running.count }

    /// A call went to the server with this much time to answer.
    public mutating func start(_ key: Key, timeout: Duration, now: MonotonicInstant) {
        sequence += 1
        running[key] = Running(sequence: sequence, timeout: timeout)
        heap.insert(.init(deadline: now.advanced(byNanoseconds: UInt64(max(0, timeout.inNanoseconds))), sequence: sequence, key: key))
        if heap.count > 2 * running.count + 64 { compact() }
    }

    /// What an answer from the server is, for a call that was tracked.
    public enum Answer: Sendable, Equatable {
        /// In time: relay it.
        case inTime
        /// After its deadline, when the client has had mcpwatch's error: drop it, and count it.
        case late
        /// Not a tracked call.
        case untracked
    }

    /// The server answered a call (or the call ended otherwise).
    public mutating func finish(_ key: Key) -> Answer {
        if running.removeValue(forKey: key) != nil {
            if heap.count > 2 * running.count + 64 { compact() }
            return .inTime
        }
        if expiredKeys.remove(key) != nil { return .late }
        return .untracked
    }

    /// The calls whose deadline has passed, earliest first; they are no longer tracked as running.
    public mutating func expire(now: MonotonicInstant) -> [Expiry] {
        var expired: [Expiry] = []
        while let top = heap.first, top.deadline <= now {
            heap.popFirst()
            guard let call = running[top.key], call.sequence == top.sequence else { continue }
            running[top.key] = nil
            remember(top.key)
            expired.append(Expiry(key: top.key, timeout: call.timeout))
        }
        return expired
    }

    /// The earliest deadline of a running call: the relay's timer.
    public mutating func nextDeadline() -> MonotonicInstant? {
        while let top = heap.first {
            if let call = running[top.key], call.sequence == top.sequence { return top.deadline }
            heap.popFirst()
        }
        return nil
    }

    private mutating func remember(_ key: Key) {
        expiredKeys.insert(key)
        expiredOrder.append(key)
        if expiredOrder.count > 2 * rememberedExpiries {
            let dropped = expiredOrder.prefix(expiredOrder.count - rememberedExpiries)
            for old in dropped { expiredKeys.remove(old) }
            expiredOrder.removeFirst(dropped.count)
            // Keys answered late were already removed from the set; those still in it keep their place.
        }
    }

    private mutating func compact() {
        let running = self.running
        heap.compact { running[$0.key]?.sequence == $0.sequence }
    }
}
