/// Decides which calls go to the server now and which wait: at most `maxConcurrency` in flight at the server and at
/// most a group's limit in flight per group (a tool or a method with its own `max_concurrency`); the rest wait in
/// a bounded queue, highest priority first and then in order of arrival.
///
/// A pure state machine: no threads, no timers, no I/O, time passed in. The relay owns one, calls it under its own
/// lock and carries out what it returns: ``arrive(_:group:priority:queueTimeout:now:)`` when a call comes in,
/// ``finish(_:now:)`` when its answer has gone back (which releases queued calls), ``cancel(_:)`` for a
/// `notifications/cancelled`, and ``expire(now:)`` when ``nextDeadline()`` has passed. Every operation is O(1) or
/// O(log n) in the number of queued calls (O(g) more in the number of groups, which the configuration bounds).
///
/// Invariant after every operation: no queued call could be admitted. So a new call that finds room never overtakes
/// a waiting one that could have gone.
public struct AdmissionQueue<Key: Hashable & Sendable>: Sendable {
    /// What happens to a call that arrives.
    public enum Decision: Sendable, Equatable {
        /// Send it to the server now.
        case admitted
        /// It waits; `depth` calls wait now, this one included.
        case queued(depth: Int)
        /// Answer it at once with an error; it never reaches the server.
        case rejected(Rejection)
    }

    /// Why a call was turned away at once.
    public enum Rejection: Sendable, Equatable {
        /// `maxQueued` calls wait already.
        case queueFull(maxQueued: Int)
        /// A call with this key is already queued or in flight (a client reusing a request id).
        case duplicate
    }

    /// A queued call that may go to the server now.
    public struct Release: Sendable, Equatable {
        /// The call.
        public var key: Key
        /// How long it waited.
        public var waitedNanoseconds: UInt64
    }

    /// A queued call that waited longer than its queue timeout: answer it with an error, never send it.
    public struct Expiry: Sendable, Equatable {
        /// The call.
        public var key: Key
        /// How long it waited.
        public var waitedNanoseconds: UInt64
        /// The timeout it had.
        public var timeout: Duration
    }

    /// What a cancellation did.
    public enum Cancellation: Sendable, Equatable {
        /// The call was waiting and is gone: answer nothing to the server, it never saw the call.
        case removedFromQueue
        /// The call is at the server: forward the cancellation; its slot frees when ``finish(_:now:)`` is called.
        case inFlight
        /// No such call.
        case unknown
    }

    private struct Entry: Sendable {
        var key: Key
        var group: String?
        var priority: TrafficPriority
        var arrivedAt: MonotonicInstant
        var timeout: Duration?
    }

    private struct Lanes: Sendable {
        var lanes = [FIFOLane(), FIFOLane(), FIFOLane()]
        var inFlight = 0
        var storedCount: Int { lanes[0].storedCount + lanes[1].storedCount + lanes[2].storedCount }
    }

    /// The limits in force.
    public let limits: AdmissionLimits
    private var sequence: UInt64 = 0
    private var entries: [UInt64: Entry] = [:]
    private var queuedByKey: [Key: UInt64] = [:]
    private var inFlightGroups: [Key: String?] = [:]
    /// Lanes per limited group, and `ungrouped` for calls without a group limit.
    private var groups: [String: Lanes] = [:]
    private var ungrouped = Lanes()
    private var deadlines = DeadlineHeap<UInt64>()

    /// Creates an empty queue.
    public init(limits: AdmissionLimits) {
        self.limits = limits
        for name in limits.groupLimits.keys { groups[name] = Lanes() }
    }

    /// Calls waiting now.
    public var queuedCount: Int { queuedByKey.count }
    /// Calls at the server now.
    public var inFlightCount: Int { inFlightGroups.count }
    /// Calls at the server now in a group.
    public func inFlightCount(group: String) -> Int { groups[group]?.inFlight ?? 0 }
    /// Whether a call is waiting.
    public func isQueued(_ key: Key) -> Bool { queuedByKey[key] != nil }

    /// A call arrives.
    /// - Parameters:
    ///   - group: the tool or method whose own limit applies (ignored when it has none).
    ///   - queueTimeout: this call's queue timeout, when it differs from the default (a per-tool setting).
    public mutating func arrive(_ key: Key, group: String? = nil, priority: TrafficPriority = .normal,
                                queueTimeout: Duration? = nil, now: MonotonicInstant) -> Decision {
        guard queuedByKey[key] == nil, inFlightGroups[key] == nil else { return .rejected(.duplicate) }
        let group = group.flatMap { limits.groupLimits[$0] == nil ? nil : $0 }
        if hasRoom(group: group) {
            admit(key, group: group)
            return .admitted
        }
        guard queuedByKey.count < limits.maxQueued else { return .rejected(.queueFull(maxQueued: limits.maxQueued)) }
        sequence += 1
        let timeout = queueTimeout ?? limits.queueTimeout
        entries[sequence] = Entry(key: key, group: group, priority: priority, arrivedAt: now, timeout: timeout)
        queuedByKey[key] = sequence
        if let group { groups[group]!.lanes[priority.rank].append(sequence) } else { ungrouped.lanes[priority.rank].append(sequence) }
        if let timeout {
            deadlines.insert(.init(deadline: now.advanced(byNanoseconds: UInt64(max(0, timeout.inNanoseconds))), sequence: sequence, key: sequence))
        }
        return .queued(depth: queuedByKey.count)
    }

    /// A call's answer has gone back (or it ended otherwise): its slot frees, and queued calls that fit now leave
    /// the queue, best first. A key that is queued is removed as by ``cancel(_:)``.
    public mutating func finish(_ key: Key, now: MonotonicInstant) -> [Release] {
        if let group = inFlightGroups.removeValue(forKey: key) {
            if let group { groups[group]!.inFlight -= 1 } else { ungrouped.inFlight -= 1 }
        } else if queuedByKey[key] != nil {
            _ = cancel(key)
            return []
        } else {
            return []
        }
        var released: [Release] = []
        while let (sequence, entry) = bestEligible() {
            removeQueued(sequence, key: entry.key)
            admit(entry.key, group: entry.group)
            released.append(Release(key: entry.key, waitedNanoseconds: now.nanoseconds(since: entry.arrivedAt)))
        }
        return released
    }

    /// A `notifications/cancelled` for a call.
    public mutating func cancel(_ key: Key) -> Cancellation {
        if let sequence = queuedByKey[key] {
            removeQueued(sequence, key: key)
            compactIfSparse()
            return .removedFromQueue
        }
        return inFlightGroups[key] != nil ? .inFlight : .unknown
    }

    /// The queued calls whose queue timeout has passed, removed from the queue, earliest first.
    public mutating func expire(now: MonotonicInstant) -> [Expiry] {
        var expired: [Expiry] = []
        while let top = deadlines.first, top.deadline <= now {
            deadlines.popFirst()
            guard let entry = entries[top.key], let timeout = entry.timeout else { continue }
            removeQueued(top.key, key: entry.key)
            expired.append(Expiry(key: entry.key, waitedNanoseconds: now.nanoseconds(since: entry.arrivedAt), timeout: timeout))
        }
        if !expired.isEmpty { compactIfSparse() }
        return expired
    }

    /// When the next queued call times out, if any waits with a timeout: the relay's timer.
    public mutating func nextDeadline() -> MonotonicInstant? {
        while let top = deadlines.first {
            if entries[top.key] != nil { return top.deadline }
            deadlines.popFirst()
        }
        return nil
    }

    // MARK: Internals

    private func hasRoom(group: String?) -> Bool {
        if let limit = limits.maxConcurrency, inFlightGroups.count >= limit { return false }
        if let group, let limit = limits.groupLimits[group], groups[group]!.inFlight >= limit { return false }
        return true
    }

    private mutating func admit(_ key: Key, group: String?) {
        inFlightGroups[key] = .some(group)
        if let group { groups[group]!.inFlight += 1 } else { ungrouped.inFlight += 1 }
    }

    private mutating func removeQueued(_ sequence: UInt64, key: Key) {
        entries[sequence] = nil
        queuedByKey[key] = nil
    }

    /// The first live call of the best lane of a group, dropping dead items on the way.
    private static func head(of lanes: inout Lanes, entries: [UInt64: Entry]) -> (UInt64, Entry)? {
        for rank in 0..<3 {
            while let sequence = lanes.lanes[rank].first {
                if let entry = entries[sequence] { return (sequence, entry) }
                lanes.lanes[rank].removeFirst()
            }
        }
        return nil
    }

    /// The queued call that should go next among those that fit: by priority, then arrival.
    private mutating func bestEligible() -> (UInt64, Entry)? {
        if let limit = limits.maxConcurrency, inFlightGroups.count >= limit { return nil }
        var best: (UInt64, Entry)?
        func better(_ candidate: (UInt64, Entry)) -> Bool {
            guard let current = best else { return true }
            if candidate.1.priority.rank != current.1.priority.rank { return candidate.1.priority.rank < current.1.priority.rank }
            return candidate.0 < current.0
        }
        if let candidate = Self.head(of: &ungrouped, entries: entries), better(candidate) { best = candidate }
        for name in limits.groupLimits.keys {
            guard var lanes = groups[name], lanes.inFlight < limits.groupLimits[name]! else { continue }
            groups[name] = nil  // avoid a copy-on-write of the lanes while they are changed
            let candidate = Self.head(of: &lanes, entries: entries)
            groups[name] = lanes
            if let candidate, better(candidate) { best = candidate }
        }
        if let (sequence, _) = best {
            // The winner is at the front of its lane: take it off.
            let entry = entries[sequence]!
            let rank = entry.priority.rank
            if let group = entry.group { groups[group]!.lanes[rank].removeFirst() } else { ungrouped.lanes[rank].removeFirst() }
        }
        return best
    }

    /// Drops dead items once they outnumber the live ones, so a client that queues and cancels in a loop cannot grow
    /// memory past the queue's bound.
    private mutating func compactIfSparse() {
        let live = entries.count
        var stored = ungrouped.storedCount
        for lanes in groups.values { stored += lanes.storedCount }
        guard stored > 2 * live + 64 || deadlines.count > 2 * live + 64 else { return }
        let entries = self.entries
        for rank in 0..<3 { ungrouped.lanes[rank].compact { entries[$0] != nil } }
        for name in Array(groups.keys) {
            for rank in 0..<3 { groups[name]!.lanes[rank].compact { entries[$0] != nil } }
        }
        deadlines.compact { entries[$0.key] != nil }
    }
}
