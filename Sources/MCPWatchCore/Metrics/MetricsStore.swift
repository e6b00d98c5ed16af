import Foundation
import Histogram
import Synchronization

/// Everything measured, in memory, thread-safe and bounded: the one place the relay writes to.
///
/// Recording is a short critical section with no allocation in steady state. Readers never touch live state:
/// they ask for a ``Report`` (or a ``TargetDetail``), an immutable value built from a copy taken under the lock.
public final class MetricsStore: Sendable {
    /// Limits and windows.
    public struct Configuration: Sendable {
        /// Targets beyond this many fold into one `__other__` target.
        public var maxTargets: Int
        /// How many per-second buckets to keep (the chart window), default one hour.
        public var seriesSeconds: Int
        /// How many recent outcomes each target keeps.
        public var recentCalls: Int
        /// Notification methods beyond this many count as `__other__`.
        public var maxNotificationMethods: Int
        /// Transport sessions (Streamable HTTP) listed in ``MetricsStore/sessions``.
        public var maxSessions: Int

        /// Creates a configuration.
        public init(maxTargets: Int = 1_000, seriesSeconds: Int = 3_600, recentCalls: Int = 100, maxNotificationMethods: Int = 200,
                    maxSessions: Int = 100) {
            self.maxSessions = max(1, maxSessions)
            self.maxTargets = max(1, maxTargets)
            self.seriesSeconds = max(60, seriesSeconds)
            self.recentCalls = max(1, recentCalls)
            self.maxNotificationMethods = max(1, maxNotificationMethods)
        }
    }

    struct State: Sendable {
        var index: [TargetKey: Int] = [:]
        var targets: [TargetStats] = []
        var foldedIndex: Int?
        var histogram = Histogram<UInt64>(highestTrackableValue: TargetStats.highestTrackableMicros, numberOfSignificantValueDigits: .three)
        var sumNanos: UInt64 = 0
        var minNanos: UInt64 = .max
        var maxNanos: UInt64 = 0
        var calls: UInt64 = 0
        var failures: UInt64 = 0
        var outcomes: [UInt64] = Array(repeating: 0, count: CallOutcome.allCases.count)
        var seconds: SecondRing
        var latencyBySecond: [LatencyBuckets]
        var latencySecondStamp: [UInt32]
        var notifications: [NotificationKey: UInt64] = [:]
        var anomalies: [AnomalyKind: UInt64] = [:]
        var lastAnomaly: (kind: AnomalyKind, direction: Direction, at: MonotonicInstant, sample: String?)?
        /// Anomalies per second (counted as calls), for alert windows.
        var anomalySeconds = SecondRing(capacity: 900)
        /// The last calls of all targets together, for call-count alert windows over all calls.
        var recent = RecentOutcomes(capacity: AlertRule.maxCallWindow)
        var messages: [UInt64] = [0, 0]
        var bytes: [UInt64] = [0, 0]
        var session = SessionInfo()
        /// The protocol in use is 2026-07-28 or later: names its error codes (``JSONRPCErrorName``).
        var modern = false
        var interim: UInt64 = 0
        var clientErrors: UInt64 = 0
        var streams = StreamCounters()
    }

    /// The long-lived notification streams, per kind.
    struct StreamCounters: Sendable {
        var open: [StreamKind: Int] = [:]
        var opened: [StreamKind: UInt64] = [:]
        var closedByKind: [StreamKind: UInt64] = [:]
        var closedByReason: [StreamCloseReason: UInt64] = [:]
        var lifetimeSumNanos: [StreamKind: UInt64] = [:]
        var lifetimeMaxNanos: [StreamKind: UInt64] = [:]
        var notifications: [String: UInt64] = [:]
    }

    /// Adds the latency buckets of `second`, when the ring still holds it.
    static func addLatency(of second: UInt32, from state: State, into buckets: inout LatencyBuckets) {
        let slot = Int(second % UInt32(state.latencyBySecond.count))
        if state.latencySecondStamp[slot] == second { buckets.add(state.latencyBySecond[slot]) }
    }

    struct NotificationKey: Hashable, Sendable {
        var method: String
        var direction: Direction
    }

    /// The configuration in force.
    public let configuration: Configuration
    /// The clock that stamps calls and reports.
    public let clock: any WatchClock
    /// The transport sessions seen (Streamable HTTP), with their clients and call counts; bounded.
    public let sessions: SessionTable
    /// Logical calls between their rounds, shared by every recorder of this store (a retry or a task poll may come
    /// on another connection than the request it continues).
    public let logicalCalls = LogicalCallTracker()
    /// When monitoring started, on both clocks.
    public let startInstant: MonotonicInstant
    /// When monitoring started, as a date.
    public let startDate: Date
    /// Calls waiting for the local store's call log (off until the store writer enables it).
    public let callLog = CallLogBuffer()
    /// Finished calls waiting for the OTLP exporter, and the trace context of requests (off until it enables it).
    public let traceTap = TraceContextTap()

    let state: Mutex<State>
    /// How many more 2026-07-28 messages may be read for who is talking (``MetaIdentity``) before the store knows the
    /// client, the server and the version; 0 once it knows them. Bounded, so that a peer that never names itself
    /// costs a few hundred small decodes, not one per call.
    let identityReads = Atomic<Int>(256)
    private let summaries = Mutex<[Int: (version: UInt64, report: TargetReport)]>([:])

    /// Creates an empty store.
    public init(configuration: Configuration = .init(), clock: any WatchClock = SystemWatchClock()) {
        self.configuration = configuration
        self.clock = clock
        sessions = SessionTable(capacity: configuration.maxSessions, clock: clock)
        startInstant = clock.now()
        startDate = clock.wallNow()
        state = Mutex(State(
            seconds: SecondRing(capacity: configuration.seriesSeconds),
            latencyBySecond: Array(repeating: LatencyBuckets(), count: configuration.seriesSeconds),
            latencySecondStamp: Array(repeating: .max, count: configuration.seriesSeconds)))
    }

    // MARK: Recording

    /// The second since start that an instant falls in.
    @inline(__always)
    func second(of instant: MonotonicInstant) -> UInt32 {
        UInt32(truncatingIfNeeded: min(instant.nanoseconds(since: startInstant) / 1_000_000_000, UInt64(UInt32.max - 1)))
    }

    /// Registers a request that was just sent: it counts as in flight until recorded.
    /// - Returns: the handle of its target, to pass back with the finished call.
    @discardableResult
    public func callStarted(method: String, target: String?, direction: Direction = .clientToServer) -> TargetHandle {
        state.withLock { state in
            let i = Self.resolve(&state, TargetKey(method: method, target: target), direction, configuration)
            state.targets[i].inFlight += 1
            return TargetHandle(index: i)
        }
    }

    /// Records a finished call. The hot path: no allocation once the target exists.
    public func record(_ call: CompletedCall) {
        let second = second(of: call.finishedAt)
        let micros = max(1, call.durationNanos / 1_000)
        state.withLock { state in
            let i: Int
            if let handle = call.handle, handle.index < state.targets.count {
                i = handle.index
                if state.targets[i].inFlight > 0 { state.targets[i].inFlight -= 1 }
            } else {
                i = Self.resolve(&state, TargetKey(method: call.method, target: call.target), call.direction, configuration)
            }
            state.targets[i].record(call, second: second, modern: state.modern)
            state.calls &+= 1
            let failed = call.outcome.isFailure
            if failed {
                state.failures &+= 1
                if let type = call.errorType(modern: state.modern), JSONRPCErrorName.isClientError(type) { state.clientErrors &+= 1 }
            } else if call.outcome.isInterim {
                state.interim &+= 1
            }
            if let logical = call.logical {
                let j: Int
                if let handle = logical.handle, handle.index < state.targets.count {
                    j = handle.index
                } else {
                    j = Self.resolve(&state, TargetKey(method: logical.method, target: logical.target), call.direction, configuration)
                }
                state.targets[j].recordLogical(logical)
            }
            state.outcomes[TargetStats.outcomeIndex(call.outcome)] &+= 1
            state.histogram.record(min(micros, TargetStats.highestTrackableMicros))
            state.sumNanos &+= call.durationNanos
            if call.durationNanos < state.minNanos { state.minNanos = call.durationNanos }
            if call.durationNanos > state.maxNanos { state.maxNanos = call.durationNanos }
            state.seconds.add(second: second, failed: failed, micros: micros)
            state.recent.add(micros: micros, failed: failed, second: second)
            let slot = Int(second % UInt32(state.latencyBySecond.count))
            if state.latencySecondStamp[slot] != second {
                state.latencySecondStamp[slot] = second
                for k in 0..<LatencyBuckets.count { state.latencyBySecond[slot].counts[k] = 0 }
            }
            state.latencyBySecond[slot].add(micros: micros)
        }
        callLog.take(call)
    }

    /// Counts a notification.
    public func recordNotification(method: String, direction: Direction) {
        state.withLock { state in
            var key = NotificationKey(method: method, direction: direction)
            if state.notifications[key] == nil && state.notifications.count >= configuration.maxNotificationMethods {
                key.method = TargetKey.folded.method
            }
            state.notifications[key, default: 0] &+= 1
        }
    }

    /// Counts a stream that opened (a `subscriptions/listen` request, a standalone `GET` stream).
    public func recordStreamOpened(_ kind: StreamKind) {
        state.withLock { state in
            state.streams.open[kind, default: 0] += 1
            state.streams.opened[kind, default: 0] &+= 1
        }
    }

    /// Counts a stream that ended, and how long it lived.
    public func recordStreamClosed(_ closure: StreamClosure) {
        state.withLock { state in
            let kind = closure.kind
            state.streams.open[kind] = max(0, (state.streams.open[kind] ?? 0) - 1)
            state.streams.closedByKind[kind, default: 0] &+= 1
            state.streams.closedByReason[closure.reason, default: 0] &+= 1
            state.streams.lifetimeSumNanos[kind, default: 0] &+= closure.lifetimeNanos
            state.streams.lifetimeMaxNanos[kind] = max(state.streams.lifetimeMaxNanos[kind] ?? 0, closure.lifetimeNanos)
        }
    }

    /// Counts a notification delivered on a `subscriptions/listen` stream.
    public func recordStreamNotification(method: String) {
        state.withLock { state in
            var method = method
            if state.streams.notifications[method] == nil && state.streams.notifications.count >= configuration.maxNotificationMethods {
                method = TargetKey.folded.method
            }
            state.streams.notifications[method, default: 0] &+= 1
        }
    }

    /// Counts an anomaly; `sample` is the start of the offending frame, for diagnosis.
    public func recordAnomaly(_ kind: AnomalyKind, direction: Direction, at: MonotonicInstant, sample: String? = nil) {
        state.withLock { state in
            state.anomalies[kind, default: 0] &+= 1
            state.lastAnomaly = (kind, direction, at, sample)
            state.anomalySeconds.add(second: second(of: at), failed: false, micros: 0)
        }
    }

    /// Counts one relayed frame and its size.
    @inline(__always)
    public func recordTraffic(direction: Direction, bytes: Int, messages: Int = 1) {
        state.withLock { state in
            let i = direction == .clientToServer ? 0 : 1
            state.messages[i] &+= UInt64(messages)
            state.bytes[i] &+= UInt64(bytes)
        }
    }

    /// Updates what is known of the session (client, server, protocol version, server process).
    public func updateSession(_ change: (inout SessionInfo) -> Void) {
        state.withLock {
            change(&$0.session)
            $0.modern = JSONRPCErrorName.isModern($0.session.protocolVersion)
        }
    }

    /// What is known of the session now.
    public var session: SessionInfo { state.withLock { $0.session } }

    /// Whether a recorder should still read a message's `_meta` for who is talking; takes one read from the budget.
    func takeIdentityRead() -> Bool {
        guard identityReads.load(ordering: .relaxed) > 0 else { return false }
        return identityReads.subtract(1, ordering: .relaxed).oldValue > 0
    }

    /// Records what a 2026-07-28 message said of who is talking, and stops further reads once everything is known.
    func updateIdentity(_ change: (inout SessionInfo) -> Void) {
        let complete = state.withLock { state -> Bool in
            change(&state.session)
            state.modern = JSONRPCErrorName.isModern(state.session.protocolVersion)
            return state.session.client != nil && state.session.server != nil && state.session.protocolVersion != nil
        }
        if complete { identityReads.store(0, ordering: .relaxed) }
    }

    private static func resolve(_ state: inout State, _ key: TargetKey, _ direction: Direction, _ configuration: Configuration) -> Int {
        if let i = state.index[key] { return i }
        if state.targets.count >= configuration.maxTargets - 1 {
            // Past the limit every new key shares one slot, so a hostile peer cannot grow memory.
            if let folded = state.foldedIndex { return folded }
            let i = state.targets.count
            state.targets.append(TargetStats(
                key: .folded, direction: direction, recentCapacity: configuration.recentCalls, seriesSeconds: configuration.seriesSeconds))
            state.foldedIndex = i
            state.index[.folded] = i
            return i
        }
        let i = state.targets.count
        state.targets.append(TargetStats(
            key: key, direction: direction, recentCapacity: configuration.recentCalls, seriesSeconds: configuration.seriesSeconds))
        state.index[key] = i
        return i
    }

    // MARK: Reading

    /// One target's statistics with its per-second series over the last `seconds` seconds, or nil if unknown.
    /// - Parameter name: the target's name (tool, prompt, URI) or, for calls without a target, the method.
    public func targetDetail(name: String, method: String? = nil, seconds: Int = 300) -> TargetDetail? {
        let now = clock.now()
        let wallNow = clock.wallNow()
        let currentSecond = second(of: now)
        let found: (TargetStats, UInt64)? = state.withLock { state in
            guard let stats = state.targets.first(where: {
                ($0.key.target ?? $0.key.method) == name && (method == nil || $0.key.method == method)
            }) else { return nil }
            return (stats, 0)
        }
        guard let (stats, _) = found else { return nil }
        var report = Self.targetReport(stats, lastUsed: stats.lastUsed.map { date(of: $0, now: now, wallNow: wallNow) },
                                       lastErrorAt: stats.lastError.map { date(of: $0.at, now: now, wallNow: wallNow) })
        report.callsPerSecond = Double(stats.seconds.totals(endingAt: currentSecond, seconds: 60).calls) / 60
        let span = UInt32(min(max(1, seconds), stats.seconds.capacity))
        let first = currentSecond >= span - 1 ? currentSecond - (span - 1) : 0
        var series: [SeriesPoint] = []
        series.reserveCapacity(Int(span))
        for s in first...currentSecond {
            let slot = stats.seconds.slot(second: s)
            series.append(SeriesPoint(
                time: startDate.addingTimeInterval(Double(s)), calls: slot.calls, errors: slot.errors,
                avgMs: slot.calls > 0 ? Double(slot.sumMicros) / Double(slot.calls) / 1_000 : nil,
                maxMs: slot.calls > 0 ? Double(slot.maxMicros) / 1_000 : nil))
        }
        let counts = stats.allBuckets
        let buckets = counts.enumerated().map { i, count in
            BucketCount(leMs: i < DurationBuckets.boundsMicros.count ? Double(DurationBuckets.boundsMicros[i]) / 1_000 : nil, count: count)
        }
        let errors = stats.recentErrorsNewestFirst.map { LastError(message: $0.message, type: $0.type, at: date(of: $0.at, now: now, wallNow: wallNow)) }
        return TargetDetail(target: report, series: series, buckets: buckets, recentErrors: errors)
    }

    /// Number of distinct targets held (including the fold target).
    public var targetCount: Int { state.withLock { $0.targets.count } }

    /// An immutable report of everything measured so far.
    public func report(system: SystemReport? = nil, serverName: String? = nil) -> Report {
        let now = clock.now()
        let wallNow = clock.wallNow()
        let copy = state.withLock { $0 }
        let currentSecond = second(of: now)
        let targets = targetReports(copy, now: now, wallNow: wallNow, currentSecond: currentSecond)

        let uptime = Double(now.nanoseconds(since: startInstant)) / 1e9
        func rate(_ seconds: Int) -> Double {
            let window = min(Double(seconds), max(1, uptime))
            return Double(copy.seconds.totals(endingAt: currentSecond, seconds: seconds).calls) / window
        }
        let lastMinute = copy.seconds.totals(endingAt: currentSecond, seconds: 60)
        let overview = Overview(
            startTime: startDate, uptimeSeconds: uptime, totalCalls: copy.calls, totalErrors: copy.failures,
            successRate: Self.percent(copy.calls - copy.failures - copy.interim, of: copy.calls - copy.interim),
            inFlight: copy.targets.reduce(0) { $0 + $1.inFlight },
            outcomes: Self.outcomeDictionary(copy.outcomes),
            throughput: Throughput(lastMinute: rate(60), last5Minutes: rate(300), last15Minutes: rate(900)),
            errorRateLastMinute: Self.percent(lastMinute.errors, of: lastMinute.calls),
            latency: Self.latency(copy.histogram, sumNanos: copy.sumNanos, minNanos: copy.minNanos, maxNanos: copy.maxNanos),
            traffic: Traffic(
                clientToServerMessages: copy.messages[0], clientToServerBytes: copy.bytes[0],
                serverToClientMessages: copy.messages[1], serverToClientBytes: copy.bytes[1]),
            clientErrors: copy.clientErrors, serverErrors: copy.failures - copy.clientErrors, interimRounds: copy.interim,
            streams: Self.streamsReport(copy.streams))
        let notifications = copy.notifications
            .map { NotificationCount(method: $0.key.method, direction: $0.key.direction, count: $0.value) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0.method < $1.method }
        let anomalies = AnomalyReport(
            total: copy.anomalies.values.reduce(0, +),
            byKind: Dictionary(uniqueKeysWithValues: copy.anomalies.map { ($0.key.rawValue, $0.value) }),
            last: copy.lastAnomaly.map {
                AnomalySample(kind: $0.kind, direction: $0.direction, at: date(of: $0.at, now: now, wallNow: wallNow), sample: $0.sample)
            })
        var session = copy.session
        if sessions.totalOpened > 0 {
            let list = sessions.summaries()
            session.sessionCount = list.reduce(0) { $0 + ($1.closed ? 0 : 1) }
            session.sessions = list
        }
        return Report(
            generatedAt: wallNow, serverName: serverName ?? copy.session.server?.name, session: session,
            overview: overview, targets: targets, notifications: notifications, anomalies: anomalies, system: system)
    }

    private func targetReports(_ copy: State, now: MonotonicInstant, wallNow: Date, currentSecond: UInt32) -> [TargetReport] {
        // Readers only: the cache is updated in place under its own lock (copying it out and back cost a full copy
        // of 1,000 summaries per report), and concurrent readers do not compute the same summary twice.
        var reports = summaries.withLock { cached in
            var reports: [TargetReport] = []
            reports.reserveCapacity(copy.targets.count)
            for (i, stats) in copy.targets.enumerated() {
                var report: TargetReport
                if let hit = cached[i], hit.version == stats.version {
                    report = hit.report
                } else {
                    report = Self.targetReport(stats, lastUsed: stats.lastUsed.map { date(of: $0, now: now, wallNow: wallNow) },
                                               lastErrorAt: stats.lastError.map { date(of: $0.at, now: now, wallNow: wallNow) })
                    cached[i] = (stats.version, report)
                }
                // In-flight and the 1-minute rate change without a new call finishing.
                report.inFlight = stats.inFlight
                report.callsPerSecond = Double(stats.seconds.totals(endingAt: currentSecond, seconds: 60).calls) / 60
                reports.append(report)
            }
            return reports
        }
        reports.sort { $0.calls != $1.calls ? $0.calls > $1.calls : $0.name < $1.name }
        return reports
    }

    static func targetReport(_ s: TargetStats, lastUsed: Date?, lastErrorAt: Date?) -> TargetReport {
        let recent = s.recent.summary(last: s.recentSummaryCalls)
        let latency = latency(s.histogram, sumNanos: s.sumNanos, minNanos: s.minNanos, maxNanos: s.maxNanos)
        return TargetReport(
            name: s.key.target ?? s.key.method, method: s.key.method, target: s.key.target, direction: s.direction,
            calls: s.calls, errors: s.failures, successRate: percent(s.calls - s.failures - s.interim, of: s.calls - s.interim),
            avgMs: latency.avgMs, minMs: latency.minMs, maxMs: latency.maxMs, p50Ms: latency.p50Ms, p90Ms: latency.p90Ms,
            p95Ms: latency.p95Ms, p99Ms: latency.p99Ms, p999Ms: latency.p999Ms, lastUsed: lastUsed, inFlight: s.inFlight,
            outcomes: outcomeDictionary(s.outcomes), errorTypes: s.errorTypes,
            lastError: s.lastError.map { LastError(message: $0.message, type: $0.type, at: lastErrorAt ?? Date()) },
            recent: RecentSummary(
                calls: recent.calls, successRate: percent(UInt64(recent.calls - recent.failures), of: UInt64(recent.calls)),
                avgMs: recent.calls > 0 ? recent.meanMicros / 1_000 : nil),
            callsPerSecond: 0,
            requestBytes: SizeSummary(total: s.requestBytesTotal, avg: s.calls > 0 ? Double(s.requestBytesTotal) / Double(s.calls) : nil, max: s.requestBytesMax),
            responseBytes: SizeSummary(total: s.responseBytesTotal, avg: s.calls > 0 ? Double(s.responseBytesTotal) / Double(s.calls) : nil, max: s.responseBytesMax),
            dashboardCalls: s.dashboardCalls, clientErrors: s.clientErrors, serverErrors: s.failures - s.clientErrors,
            interimRounds: s.interim, logical: s.logical.map(logicalReport))
    }

    static func logicalReport(_ l: LogicalCallStats) -> LogicalCallReport {
        LogicalCallReport(
            calls: l.calls, errors: l.failures, multiRoundCalls: l.multiRound, taskCalls: l.tasks, rounds: l.rounds,
            maxRounds: l.maxRounds, avgRounds: l.calls > 0 ? Double(l.rounds) / Double(l.calls) : nil, polls: l.polls,
            clientWaitMs: Double(l.clientWaitNanos) / 1e6,
            latency: latency(l.histogram, sumNanos: l.sumNanos, minNanos: l.minNanos, maxNanos: l.maxNanos))
    }

    static func streamsReport(_ s: StreamCounters) -> StreamsReport? {
        guard !s.opened.isEmpty else { return nil }
        let kinds = StreamKind.allCases.compactMap { kind -> StreamKindReport? in
            guard let opened = s.opened[kind] else { return nil }
            let closed = s.closedByKind[kind] ?? 0
            return StreamKindReport(
                kind: kind.rawValue, open: s.open[kind] ?? 0, opened: opened, closed: closed,
                avgLifetimeMs: closed > 0 ? Double(s.lifetimeSumNanos[kind] ?? 0) / Double(closed) / 1e6 : nil,
                maxLifetimeMs: closed > 0 ? Double(s.lifetimeMaxNanos[kind] ?? 0) / 1e6 : nil)
        }
        return StreamsReport(
            open: s.open.values.reduce(0, +), opened: s.opened.values.reduce(0, +),
            closed: Dictionary(uniqueKeysWithValues: s.closedByReason.map { ($0.key.rawValue, $0.value) }),
            kinds: kinds, notifications: s.notifications)
    }

    static func latency(_ h: LatencyHistogram, sumNanos: UInt64, minNanos: UInt64, maxNanos: UInt64) -> LatencySummary {
        guard h.totalCount > 0 else { return .empty }
        let p = h.percentiles()
        return LatencySummary(
            avgMs: Double(sumNanos) / Double(h.totalCount) / 1e6, minMs: Double(minNanos) / 1e6, maxMs: Double(maxNanos) / 1e6,
            p50Ms: Double(p.0) / 1_000, p90Ms: Double(p.1) / 1_000, p95Ms: Double(p.2) / 1_000,
            p99Ms: Double(p.3) / 1_000, p999Ms: Double(p.4) / 1_000)
    }

    static func latency(_ h: Histogram<UInt64>, sumNanos: UInt64, minNanos: UInt64, maxNanos: UInt64) -> LatencySummary {
        guard h.totalCount > 0 else { return .empty }
        let p = percentiles(h)
        return LatencySummary(
            avgMs: Double(sumNanos) / Double(h.totalCount) / 1e6, minMs: Double(minNanos) / 1e6, maxMs: Double(maxNanos) / 1e6,
            p50Ms: Double(p.0) / 1_000, p90Ms: Double(p.1) / 1_000, p95Ms: Double(p.2) / 1_000,
            p99Ms: Double(p.3) / 1_000, p999Ms: Double(p.4) / 1_000)
    }

    /// p50, p90, p95, p99 and p99.9 of a histogram in one walk, exactly as `valueAtPercentile` finds them.
    ///
    /// Five `valueAtPercentile` calls walk the counts five times; over 1,000 targets that dominated the report.
    /// The walk uses the library's inlinable iterator (its other public methods are not specialized across modules,
    /// and run many times slower). Same nearest-rank rule, rounding and clamping.
    static func percentiles(_ h: Histogram<UInt64>) -> (UInt64, UInt64, UInt64, UInt64, UInt64) {
        let total = Double(h.totalCount)
        func rank(_ percentile: Double) -> UInt64 {
            // As valueAtPercentile: one ulp less, so 99.9 % of 1,000 is 999 and not 1,000.
            Swift.max(1, UInt64((Swift.min(Swift.max(percentile.nextDown, 0), 100) * total / 100).rounded(.up)))
        }
        let ranks = (rank(50), rank(90), rank(95), rank(99), rank(99.9))
        let low = h.min, high = h.maxRecorded
        var found: (UInt64, UInt64, UInt64, UInt64, UInt64) = (high, high, high, high, high)
        var next = 0
        for step in h.recordedValues() {
            let seen = step.totalCountToThisValue
            let value = Swift.max(Swift.min(step.value, high), low)
            if next == 0, seen >= ranks.0 { found.0 = value; next = 1 }
            if next == 1, seen >= ranks.1 { found.1 = value; next = 2 }
            if next == 2, seen >= ranks.2 { found.2 = value; next = 3 }
            if next == 3, seen >= ranks.3 { found.3 = value; next = 4 }
            if next == 4, seen >= ranks.4 { found.4 = value; return found }
        }
        return found
    }

    static func percent(_ part: UInt64, of whole: UInt64) -> Double? {
        whole == 0 ? nil : Double(part) / Double(whole) * 100
    }

    static func outcomeDictionary(_ counts: [UInt64]) -> [String: UInt64] {
        var d: [String: UInt64] = [:]
        for outcome in CallOutcome.allCases { d[outcome.rawValue] = counts[TargetStats.outcomeIndex(outcome)] }
        return d
    }

    /// The wall-clock date of a monotonic instant, relative to now.
    func date(of instant: MonotonicInstant, now: MonotonicInstant, wallNow: Date) -> Date {
        wallNow.addingTimeInterval(-Double(now.nanoseconds(since: instant)) / 1e9)
    }
}
