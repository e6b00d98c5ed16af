import Foundation

/// One target's cumulative figures since the start, as the store writer reads them to write deltas.
public struct TargetTotals: Sendable {
    /// Method and target.
    public var key: TargetKey
    /// Who sent the requests.
    public var direction: Direction
    /// Calls finished.
    public var calls: UInt64
    /// Calls per outcome, in ``CallOutcome/allCases`` order.
    public var outcomes: [UInt64]
    /// Failed calls per `error.type`.
    public var errorTypes: [String: UInt64]
    /// Sum of durations, in nanoseconds.
    public var sumNanos: UInt64
    /// Longest call, in nanoseconds (0 before the first).
    public var maxNanos: UInt64
    /// Request bytes, summed.
    public var requestBytes: UInt64
    /// Response bytes, summed.
    public var responseBytes: UInt64
    /// The latency histogram (microseconds, within 1 %).
    public var latency: LatencyCounts

    /// The count of one outcome.
    public func count(of outcome: CallOutcome) -> UInt64 { outcomes[TargetStats.outcomeIndex(outcome)] }
}

/// A target's latency histogram as the store sees it: cumulative counts in a fixed layout of
/// ``LatencyCounts/indexCount`` cells, each covering values up to ``LatencyCounts/upperMicros(index:)``.
///
/// Counts add: the histogram of any span is the sum of its parts' histograms, so percentiles over any range come
/// from summed counts, never from averaged percentiles.
public struct LatencyCounts: Sendable {
    let histogram: LatencyHistogram

    /// Cells in the layout.
    public static let indexCount = LatencyHistogram.length
    /// The largest value in µs that falls in cell `index`.
    public static func upperMicros(index: Int) -> UInt64 { LatencyHistogram.highestEquivalent(index: index) }
    /// The cell a value in µs falls in.
    public static func index(micros: UInt64) -> Int { LatencyHistogram.index(of: min(max(1, micros), LatencyHistogram.highestTrackable)) }

    /// The cells whose counts grew since `previous` (all non-empty ones when nil), with how much, in index order.
    ///
    /// Compares the 26 group totals first and walks only the groups that changed, so one new call costs about 150
    /// comparisons, not 3,328.
    public func changes(since previous: LatencyCounts?) -> [(index: Int, count: UInt64)] {
        var out: [(index: Int, count: UInt64)] = []
        let counts = histogram.counts, groups = histogram.groups
        let oldCounts = previous?.histogram.counts, oldGroups = previous?.histogram.groups
        let width = LatencyHistogram.halfCount
        for g in 0..<groups.count {
            if let oldGroups, oldGroups[g] == groups[g] { continue }
            if oldGroups == nil, groups[g] == 0 { continue }
            for i in (g * width)..<((g + 1) * width) {
                let before = oldCounts?[i] ?? 0
                if counts[i] > before { out.append((i, counts[i] - before)) }
            }
        }
        return out
    }
}

/// Which version of each target the store writer has already read.
public struct ExportCursor: Sendable {
    var versions: [UInt64] = []

    /// Nothing read yet.
    public init() {}
}

extension MetricsStore {
    /// The cumulative figures of the targets that changed since `cursor`, which is moved on.
    ///
    /// Copies only the changed targets under the lock (their histograms are shared, not copied, until the relay next
    /// writes to them).
    public func changedTargets(since cursor: inout ExportCursor) -> [TargetTotals] {
        state.withLock { state in
            var out: [TargetTotals] = []
            if cursor.versions.count < state.targets.count {
                cursor.versions.append(contentsOf: repeatElement(0, count: state.targets.count - cursor.versions.count))
            }
            for (i, stats) in state.targets.enumerated() where stats.version != cursor.versions[i] {
                cursor.versions[i] = stats.version
                out.append(TargetTotals(
                    key: stats.key, direction: stats.direction, calls: stats.calls, outcomes: stats.outcomes,
                    errorTypes: stats.errorTypes, sumNanos: stats.sumNanos, maxNanos: stats.maxNanos,
                    requestBytes: stats.requestBytesTotal, responseBytes: stats.responseBytesTotal,
                    latency: LatencyCounts(histogram: stats.histogram)))
            }
            return out
        }
    }

    /// The wall-clock date at which a call finished.
    public func wallDate(of instant: MonotonicInstant) -> Date {
        date(of: instant, now: clock.now(), wallNow: clock.wallNow())
    }
}
