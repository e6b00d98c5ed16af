import Histogram

/// Everything measured about one (method, target): mutated only under the store's lock.
struct TargetStats: Sendable {
    let key: TargetKey
    var direction: Direction
    var calls: UInt64 = 0
    var failures: UInt64 = 0
    var outcomes: [UInt64] = Array(repeating: 0, count: CallOutcome.allCases.count)
    var errorTypes: [String: UInt64] = [:]
    var inFlight = 0
    var dashboardCalls: UInt64 = 0
    var histogram = LatencyHistogram()
    var sumNanos: UInt64 = 0
    var minNanos: UInt64 = .max
    var maxNanos: UInt64 = 0
    var requestBytesTotal: UInt64 = 0
    var requestBytesMax = 0
    var responseBytesTotal: UInt64 = 0
    var responseBytesMax = 0
    var lastUsed: MonotonicInstant?
    var lastError: (message: String, type: String, at: MonotonicInstant)?
    /// The last ``maxRecentErrors`` failures, oldest first (a fixed ring once full).
    var recentErrors: [(message: String, type: String, at: MonotonicInstant)] = []
    var nextRecentError = 0
    var recent: RecentOutcomes
    /// How many of `recent` the report's `recent` summary covers.
    let recentSummaryCalls: Int
    /// Prometheus buckets of successful calls, and of failed ones per `error.type`.
    var okBuckets = DurationBuckets()
    var errorBuckets: [String: DurationBuckets] = [:]
    var seconds: SecondRing
    /// Interim rounds (`input_required`, `task`): neither ok nor failed.
    var interim: UInt64 = 0
    /// Failures that were the client's mistake (``JSONRPCErrorName/isClientError(_:)``).
    var clientErrors: UInt64 = 0
    /// Logical calls, once the target has had one longer than a round trip.
    var logical: LogicalCallStats?
    /// Bumped on every change, so snapshots can reuse what they computed for unchanged targets.
    var version: UInt64 = 0

    static let maxErrorTypes = 32
    static let maxRecentErrors = 10
    static let highestTrackableMicros: UInt64 = 3_600_000_000
    /// Per-target percentiles resolve to within 1 % (``LatencyHistogram``: 2 significant digits; the all-calls
    /// histogram keeps 3).
    ///
    /// 3 digits cost 188 KB and a 23,552-count walk per target; with 1,000 targets a report took over 100 ms and
    /// the histograms alone 188 MB. At 2 digits a target's histogram is 26 KB, while 1 % is still far finer than
    /// any Prometheus bucket.
    static let significantDigits: SignificantDigits = .two

    init(key: TargetKey, direction: Direction, recentCapacity: Int, seriesSeconds: Int) {
        self.key = key
        self.direction = direction
        recent = RecentOutcomes(capacity: max(recentCapacity, AlertRule.maxCallWindow))
        recentSummaryCalls = recentCapacity
        seconds = SecondRing(capacity: seriesSeconds)
    }

    @inline(__always)
    mutating func record(_ call: CompletedCall, second: UInt32, modern: Bool = false) {
        let micros = max(1, call.durationNanos / 1_000)
        let failed = call.outcome.isFailure
        if call.outcome.isInterim {
            // From the first longer call on, logical calls are counted apart from round trips.
            if logical == nil { logical = LogicalCallStats(seededFrom: self) }
            interim &+= 1
        } else if call.logical == nil, logical != nil {
            logical!.record(durationNanos: call.durationNanos, rounds: 1, clientWaitNanos: 0, polls: 0, task: false, failed: failed)
        }
        calls &+= 1
        outcomes[Self.outcomeIndex(call.outcome)] &+= 1
        if call.origin == .dashboard { dashboardCalls &+= 1 }
        histogram.record(micros)
        sumNanos &+= call.durationNanos
        if call.durationNanos < minNanos { minNanos = call.durationNanos }
        if call.durationNanos > maxNanos { maxNanos = call.durationNanos }
        requestBytesTotal &+= UInt64(call.requestBytes)
        if call.requestBytes > requestBytesMax { requestBytesMax = call.requestBytes }
        responseBytesTotal &+= UInt64(call.responseBytes)
        if call.responseBytes > responseBytesMax { responseBytesMax = call.responseBytes }
        lastUsed = call.finishedAt
        recent.add(micros: micros, failed: failed, second: second)
        if !failed { okBuckets.add(micros: micros, nanos: call.durationNanos) }
        seconds.add(second: second, failed: failed, micros: micros)
        if failed {
            failures &+= 1
            var type = call.errorType(modern: modern) ?? "error"
            if JSONRPCErrorName.isClientError(type) { clientErrors &+= 1 }
            if errorTypes[type] == nil && errorTypes.count >= Self.maxErrorTypes { type = "_OTHER" }
            errorTypes[type, default: 0] &+= 1
            errorBuckets[type, default: DurationBuckets()].add(micros: micros, nanos: call.durationNanos)
            let error = (message: call.errorMessage ?? type, type: type, at: call.finishedAt)
            lastError = error
            if recentErrors.count < Self.maxRecentErrors {
                recentErrors.append(error)
            } else {
                recentErrors[nextRecentError] = error
                nextRecentError = (nextRecentError + 1) % Self.maxRecentErrors
            }
        }
        version &+= 1
    }

    /// About what this target holds: its slot in the store's array and the heap of its parts (array buffers with
    /// their 32-byte headers, dictionaries at their capacity), for the memory figures (docs/benchmarks.md).
    /// Strings of up to 15 bytes live inline; longer error messages count their length.
    var heapBytes: Int {
        let header = 32
        func array<T>(_ a: [T]) -> Int { a.capacity == 0 ? 0 : header + a.capacity * MemoryLayout<T>.stride }
        func text(_ s: String) -> Int { s.utf8.count > 15 ? header + s.utf8.count : 0 }
        var bytes = MemoryLayout<TargetStats>.stride + text(key.method) + text(key.target ?? "")
        bytes += array(outcomes) + array(okBuckets.counts)
        bytes += histogram.storedBytes + 2 * header + seconds.storedBytes + header + recent.storedBytes + 3 * header
        bytes += errorTypes.isEmpty ? 0 : header + errorTypes.capacity * (MemoryLayout<String>.stride + 8 + 1)
        bytes += errorBuckets.isEmpty ? 0 : header + errorBuckets.capacity * (MemoryLayout<String>.stride + MemoryLayout<DurationBuckets>.stride + 1)
        bytes += errorBuckets.values.reduce(0) { $0 + array($1.counts) }
        bytes += array(recentErrors) + recentErrors.reduce(0) { $0 + text($1.message) + text($1.type) }
        if let logical { bytes += MemoryLayout<LogicalCallStats>.stride + logical.histogram.storedBytes + array(logical.buckets.counts) }
        return bytes
    }

    /// Records a logical call that ended on another round trip (its last round, or the poll that saw its task end).
    mutating func recordLogical(_ call: LogicalCall) {
        if logical == nil { logical = LogicalCallStats(seededFrom: self) }
        logical!.record(
            durationNanos: call.durationNanos, rounds: call.rounds, clientWaitNanos: call.clientWaitNanos, polls: call.polls,
            task: call.taskID != nil, failed: call.outcome.isFailure)
        version &+= 1
    }

    @inline(__always)
    static func outcomeIndex(_ outcome: CallOutcome) -> Int {
        switch outcome {
        case .ok: 0
        case .jsonrpcError: 1
        case .toolError: 2
        case .cancelled: 3
        case .lost: 4
        case .inputRequired: 5
        case .task: 6
        }
    }

    func count(of outcome: CallOutcome) -> UInt64 { outcomes[Self.outcomeIndex(outcome)] }

    /// The recent failures, newest first.
    var recentErrorsNewestFirst: [(message: String, type: String, at: MonotonicInstant)] {
        guard recentErrors.count == Self.maxRecentErrors else { return recentErrors.reversed() }
        return (recentErrors[nextRecentError...] + recentErrors[..<nextRecentError]).reversed()
    }

    /// All calls' durations in the Prometheus buckets (successful and failed together), not cumulative.
    var allBuckets: [UInt64] {
        var counts = okBuckets.counts
        for buckets in errorBuckets.values {
            for (i, c) in buckets.counts.enumerated() { counts[i] &+= c }
        }
        return counts
    }
}
