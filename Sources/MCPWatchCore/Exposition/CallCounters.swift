import Foundation

/// What `/metrics` needs of the store: every counter and duration bucket, without percentiles.
///
/// Taken in one short critical section (a copy-on-write copy of the state) and built outside the lock, so a scrape
/// costs the relay nothing, and it skips the per-target percentile work that only the JSON report needs.
public struct CallCounters: Sendable {
    /// One (method, target).
    public struct Target: Sendable {
        /// The method and target.
        public var key: TargetKey
        /// Which way its requests went.
        public var direction: Direction
        /// Finished calls per outcome, in ``CallOutcome/allCases`` order.
        public var outcomes: [UInt64]
        /// Failed calls per `error.type`, sorted by type.
        public var errorTypes: [(type: String, count: UInt64)]
        /// Calls sent and not yet answered.
        public var inFlight: Int
        /// Bytes of its requests.
        public var requestBytes: UInt64
        /// Bytes of its responses.
        public var responseBytes: UInt64
        /// Durations of successful calls.
        public var okBuckets: DurationBuckets
        /// Durations of failed calls per `error.type`, sorted by type.
        public var errorBuckets: [(type: String, buckets: DurationBuckets)]
        /// Its logical calls, once one took more than a round trip (nil: they are its round trips).
        public var logical: Logical? = nil
    }

    /// One target's logical calls.
    public struct Logical: Sendable {
        /// Durations, first request to final result.
        public var buckets: DurationBuckets
        /// Round trips of the request itself, over all logical calls.
        public var rounds: UInt64
        /// Time spent waiting for the client between rounds, in nanoseconds.
        public var clientWaitNanos: UInt64
        /// `tasks/get` polls of the tasks these calls created.
        public var polls: UInt64
    }

    /// The notification streams of one kind.
    public struct Streams: Sendable {
        /// `subscriptions/listen` or `GET`.
        public var kind: StreamKind
        /// Open now.
        public var open: Int
        /// Opened since the start.
        public var opened: UInt64
        /// Ended since the start.
        public var closed: UInt64
        /// Their lifetimes, summed, in nanoseconds.
        public var lifetimeSumNanos: UInt64
    }

    /// Every target, in the order they were first seen.
    public var targets: [Target]
    /// Messages and bytes relayed each way.
    public var traffic: Traffic
    /// Notifications per method and direction.
    public var notifications: [NotificationCount]
    /// Anomalies per kind (raw value).
    public var anomalies: [String: UInt64]
    /// Whether the server process runs (nil when unknown).
    public var serverAlive: Bool?
    /// `--name`, else the server's own `serverInfo.name`.
    public var serverName: String?
    /// When monitoring started.
    public var startTime: Date
    /// The notification streams, per kind ever opened.
    public var streams: [Streams] = []
    /// Ended streams per reason.
    public var streamsClosed: [(reason: StreamCloseReason, count: UInt64)] = []
    /// Notifications delivered on `subscriptions/listen` streams, per method, sorted.
    public var streamNotifications: [(method: String, count: UInt64)] = []
    /// The protocol version the server answered `initialize` with (the latest session's), once known.
    public var protocolVersion: String? = nil
    /// How long the ended transport sessions lasted, per protocol version (`""` unknown), sorted.
    public var sessionDurations: [(protocolVersion: String, buckets: DurationBuckets)] = []
}

extension CallCounters {
    /// The methods whose target is a resource URI.
    public static let resourceMethods: Set<String> = ["resources/read", "resources/subscribe", "resources/unsubscribe"]

    /// These counters with the targets of each resource method folded into one target without a URI (first-seen
    /// order kept), for `/metrics` without `mcp_resource_uri`: the same label set twice is not valid exposition.
    public func foldingResourceURIs() -> CallCounters {
        guard targets.contains(where: { $0.key.target != nil && Self.resourceMethods.contains($0.key.method) }) else { return self }
        var folded = self
        folded.targets = []
        var index: [String: Int] = [:]  // direction and method
        for t in targets {
            guard t.key.target != nil, Self.resourceMethods.contains(t.key.method) else {
                folded.targets.append(t)
                continue
            }
            let key = TargetKey(method: t.key.method, target: nil)
            let slot = t.direction.rawValue + " " + t.key.method
            guard let i = index[slot] else {
                index[slot] = folded.targets.count
                var first = t
                first.key = key
                folded.targets.append(first)
                continue
            }
            folded.targets[i].merge(t)
        }
        return folded
    }
}

extension CallCounters.Target {
    /// Adds another target's counts to this one's.
    mutating func merge(_ other: CallCounters.Target) {
        for k in outcomes.indices where k < other.outcomes.count { outcomes[k] &+= other.outcomes[k] }
        errorTypes = Self.merged(errorTypes.map { ($0.type, $0.count) }, other.errorTypes.map { ($0.type, $0.count) }, &+)
            .map { (type: $0.0, count: $0.1) }
        inFlight += other.inFlight
        requestBytes &+= other.requestBytes
        responseBytes &+= other.responseBytes
        okBuckets.add(other.okBuckets)
        errorBuckets = Self.merged(errorBuckets.map { ($0.type, $0.buckets) }, other.errorBuckets.map { ($0.type, $0.buckets) }) {
            var sum = $0
            sum.add($1)
            return sum
        }.map { (type: $0.0, buckets: $0.1) }
        if let theirs = other.logical {
            if var mine = logical {
                mine.buckets.add(theirs.buckets)
                mine.rounds &+= theirs.rounds
                mine.clientWaitNanos &+= theirs.clientWaitNanos
                mine.polls &+= theirs.polls
                logical = mine
            } else {
                logical = theirs
            }
        }
    }

    /// Two lists sorted by key, merged into one sorted by key, values of equal keys combined.
    private static func merged<V>(_ a: [(String, V)], _ b: [(String, V)], _ combine: (V, V) -> V) -> [(String, V)] {
        var all = Dictionary(a, uniquingKeysWith: combine)
        for (k, v) in b { all[k] = all[k].map { combine($0, v) } ?? v }
        return all.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}

extension MetricsStore {
    /// Every counter and duration bucket, for Prometheus.
    /// - Parameter serverName: the `--name` of the server, which wins over its `serverInfo.name`.
    public func counters(serverName: String? = nil) -> CallCounters {
        let copy = state.withLock { $0 }
        var targets: [CallCounters.Target] = []
        targets.reserveCapacity(copy.targets.count)
        for t in copy.targets {
            targets.append(CallCounters.Target(
                key: t.key, direction: t.direction,
                outcomes: CallOutcome.allCases.map { t.count(of: $0) },
                errorTypes: t.errorTypes.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
                inFlight: t.inFlight, requestBytes: t.requestBytesTotal, responseBytes: t.responseBytesTotal,
                okBuckets: t.okBuckets,
                errorBuckets: t.errorBuckets.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
                logical: t.logical.map {
                    CallCounters.Logical(buckets: $0.buckets, rounds: $0.rounds, clientWaitNanos: $0.clientWaitNanos, polls: $0.polls)
                }))
        }
        let notifications = copy.notifications
            .map { NotificationCount(method: $0.key.method, direction: $0.key.direction, count: $0.value) }
            .sorted { $0.method != $1.method ? $0.method < $1.method : $0.direction.rawValue < $1.direction.rawValue }
        return CallCounters(
            targets: targets,
            traffic: Traffic(
                clientToServerMessages: copy.messages[0], clientToServerBytes: copy.bytes[0],
                serverToClientMessages: copy.messages[1], serverToClientBytes: copy.bytes[1]),
            notifications: notifications,
            anomalies: Dictionary(uniqueKeysWithValues: copy.anomalies.map { ($0.key.rawValue, $0.value) }),
            serverAlive: copy.session.serverAlive,
            serverName: serverName ?? copy.session.server?.name,
            startTime: startDate,
            streams: StreamKind.allCases.compactMap { kind in
                copy.streams.opened[kind].map {
                    CallCounters.Streams(
                        kind: kind, open: copy.streams.open[kind] ?? 0, opened: $0, closed: copy.streams.closedByKind[kind] ?? 0,
                        lifetimeSumNanos: copy.streams.lifetimeSumNanos[kind] ?? 0)
                }
            },
            streamsClosed: StreamCloseReason.allCases.compactMap { reason in copy.streams.closedByReason[reason].map { (reason, $0) } },
            streamNotifications: copy.streams.notifications.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
            protocolVersion: copy.session.protocolVersion,
            sessionDurations: sessions.durations)
    }
}
