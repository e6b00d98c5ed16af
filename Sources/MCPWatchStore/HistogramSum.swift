import MCPWatchCore

/// Adds many ``SparseHistogram`` BLOBs into one dense count array (a range's histogram), for percentiles.
struct HistogramSum: Sendable {
    private(set) var counts: [UInt64] = []
    private(set) var total: UInt64 = 0

    /// Adds one BLOB (a malformed one adds the cells before the fault).
    mutating func add(blob: [UInt8]) {
        if counts.isEmpty { counts = Array(repeating: 0, count: LatencyCounts.indexCount) }
        _ = SparseHistogram.walk(blob) { index, count in
            counts[index] += count
            total += count
        }
    }

    /// Adds another sum.
    mutating func add(_ other: HistogramSum) {
        guard other.total > 0 else { return }
        if counts.isEmpty { counts = other.counts; total = other.total; return }
        for i in counts.indices { counts[i] += other.counts[i] }
        total += other.total
    }

    /// Values in milliseconds at the percentiles (0 to 100), nearest rank, one walk; nil when empty.
    func percentilesMs(_ percentiles: [Double]) -> [Double?] {
        guard total > 0 else { return percentiles.map { _ in nil } }
        let ranks = percentiles.map { p in
            Swift.max(1, UInt64((Swift.min(Swift.max(p.nextDown, 0), 100) * Double(total) / 100).rounded(.up)))
        }
        var out: [Double?] = Array(repeating: nil, count: ranks.count)
        var seen: UInt64 = 0
        var next = 0
        // Ranks are asked in increasing order by every caller; answer each as the walk passes it.
        let order = ranks.indices.sorted { ranks[$0] < ranks[$1] }
        for (index, count) in counts.enumerated() where count > 0 {
            seen += count
            while next < order.count, seen >= ranks[order[next]] {
                out[order[next]] = Double(LatencyCounts.upperMicros(index: index)) / 1_000
                next += 1
            }
            if next == order.count { break }
        }
        return out
    }
}
