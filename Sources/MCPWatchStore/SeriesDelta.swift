import MCPWatchCore

/// What one target did between two flushes: the difference of two ``TargetTotals``, as one row of each series table.
struct SeriesDelta: Sendable {
    var key: TargetKey
    var direction: Direction
    /// The second (Unix time) the flush that read it fell in.
    var at: Int64
    var calls: UInt64
    var outcomes: [UInt64]
    var errorTypes: [String: UInt64]
    var sumNanos: UInt64
    var maxNanos: UInt64
    var requestBytes: UInt64
    var responseBytes: UInt64
    var histogram: SparseHistogram

    /// `current` minus `previous` (nil: since the start), stamped `at`; nil when nothing finished in between.
    init?(current: TargetTotals, previous: TargetTotals?, at: Int64) {
        let calls = current.calls &- (previous?.calls ?? 0)
        guard calls > 0 else { return nil }
        key = current.key
        direction = current.direction
        self.at = at
        self.calls = calls
        outcomes = current.outcomes.enumerated().map { i, n in n &- (previous?.outcomes[i] ?? 0) }
        var errors: [String: UInt64] = [:]
        for (type, n) in current.errorTypes {
            let d = n &- (previous?.errorTypes[type] ?? 0)
            if d > 0 { errors[type] = d }
        }
        errorTypes = errors
        sumNanos = current.sumNanos &- (previous?.sumNanos ?? 0)
        requestBytes = current.requestBytes &- (previous?.requestBytes ?? 0)
        responseBytes = current.responseBytes &- (previous?.responseBytes ?? 0)
        histogram = SparseHistogram(cells: current.latency.changes(since: previous?.latency))
        // The slowest call of the interval, to within the histogram's 1 % (the cumulative maximum says nothing of it).
        maxNanos = histogram.cells.last.map { min(LatencyCounts.upperMicros(index: $0.index) * 1_000, current.maxNanos) } ?? 0
    }

    /// Adds a later delta of the same target (a flush that could not write keeps its rows for the next).
    mutating func add(_ other: SeriesDelta) {
        calls += other.calls
        for i in outcomes.indices { outcomes[i] += other.outcomes[i] }
        for (type, n) in other.errorTypes { errorTypes[type, default: 0] += n }
        sumNanos += other.sumNanos
        maxNanos = max(maxNanos, other.maxNanos)
        requestBytes += other.requestBytes
        responseBytes += other.responseBytes
        histogram.add(other.histogram)
        at = max(at, other.at)
    }
}
